"""A tester's layout findings at a tablet's width, and a laptop's, in Chromium.

A deal's ID stays whole, the row report keeps its Action column in view,
and the portfolio's filter boxes sit on one line.
"""

import pytest
from django.utils import timezone

from accounts.models import Account, ImportJob, MappedImport, Opportunity, User
from tests.conftest import browser_login
from tests.scoring.test_portfolio_page import current_run, score

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1366, 820]
# How many lines each matching element's text takes.
LINES = """
(elements) => elements.map((element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)))
    .size;
})
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_a_deal_id_stays_on_one_line_on_the_account_page(
    page, live_server, rep: User, account: Account, deal: Opportunity, width: int
) -> None:
    # given: a CRM's short ID with no name, beside a named 18-character one
    Opportunity.objects.filter(pk=deal.pk).update(name="Northwind renewal")
    Opportunity.objects.create(
        external_id="EQCD7G7Q",
        account=account,
        product=deal.product,
        owner=rep,
        stage=Opportunity.Stage.ENGAGING,
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/accounts/{account.pk}/")

    # then
    ids = page.locator("[data-testid=deals] .deal-id")
    assert sorted(ids.all_inner_texts()) == ["0065g00000Q1w2eAAB", "EQCD7G7Q"]
    assert ids.evaluate_all(LINES) == [1, 1]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_the_row_report_keeps_its_action_column_in_view(
    page, live_server, ops: User, width: int
) -> None:
    # given: a rounded ID in the value and a quoted formula in the reason
    def issue(line: int, column: str, value: str, reason: str) -> dict:
        return {
            "file": "deals.xlsx",
            "line": line,
            "column": column,
            "value": value,
            "reason": reason,
            "action": "rejected",
            "count": 1,
        }

    job = ImportJob.objects.create(
        created_by=ops,
        status=ImportJob.Status.SUCCEEDED,
        finished_at=timezone.now(),
        uploads_removed_at=timezone.now(),
        issues=[
            issue(
                2,
                "Deal ID",
                "1.234567890123457e+19",
                "an ID in scientific notation: a spreadsheet has rounded it and "
                "its digits are lost; export the column as text",
            ),
            issue(
                6,
                "Account",
                '=HYPERLINK("http://evil.example/path","x")',
                'no account \'=HYPERLINK("http://evil.example/path","x")\'; '
                "import the accounts first or in the same upload",
            ),
        ],
    )
    MappedImport.objects.create(job=job, confirmed_at=timezone.now())
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{job.pk}/")

    # then: nothing to scroll to; each Action badge inside the table's box
    wrap = page.locator(".issues-wrap")
    assert wrap.evaluate("(e) => e.scrollWidth <= e.clientWidth") is True
    right = wrap.evaluate("(e) => e.getBoundingClientRect().right")
    badges = page.locator("table.issues .action")
    assert badges.all_inner_texts() == ["rejected", "rejected"]
    assert all(
        box["x"] + box["width"] <= right
        for box in badges.evaluate_all(
            "(all) => all.map((b) => b.getBoundingClientRect().toJSON())"
        )
    )
    assert page.locator("table.issues td.long-token").count() == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_the_portfolio_filter_boxes_sit_on_one_line(
    page, live_server, rep: User, account: Account, width: int
) -> None:
    # given
    score(current_run(), account)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/scoring/portfolio/")

    # then: the name box and the lists beside it share top and bottom
    boxes = page.locator("#filters input[type=search], #filters select")
    rows = boxes.evaluate_all(
        "(all) => all.map((b) => { const r = b.getBoundingClientRect();"
        " return [Math.round(r.top), Math.round(r.bottom)]; })"
    )
    per_row = 4 if width == 1366 else 2
    assert rows[:per_row] == [rows[0]] * per_row
    hint = page.locator("#name-search-hint").bounding_box()
    assert hint is not None
    assert hint["y"] >= rows[0][1]
