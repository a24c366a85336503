"""The import report in Chromium: values break between words, not inside."""

import pytest

from accounts.models import ImportJob
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_issue_values_stay_whole_on_a_tablet(page, live_server, ops):
    # given
    job = ImportJob.objects.create(
        created_by=ops,
        status=ImportJob.Status.REJECTED,
        issues=[
            {
                "file": "accounts.csv",
                "line": 7,
                "column": "annual_revenue",
                "value": "ximena.dubois@example.invalid",
                "reason": "not a number",
                "action": "rejected",
                "count": 1,
            }
        ],
    )
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/{job.pk}/")
    # File, line, column and value: each one word, so each one line.
    cells = page.locator("table.issues tbody td:nth-child(-n+4)")

    for width in (1366, 820):
        # when
        page.set_viewport_size({"width": width, "height": 900})

        # then
        lines = cells.evaluate_all(
            "(tds) => tds.map((td) => { const r = document.createRange();"
            " r.selectNodeContents(td);"
            " return new Set([...r.getClientRects()].map((x) => x.top)).size; })"
        )
        assert (width, lines) == (width, [1, 1, 1, 1])
        page.screenshot(path=f"var/shots/import-report-{width}.png", full_page=True)
