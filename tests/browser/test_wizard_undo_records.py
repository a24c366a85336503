"""The undo page names what the undo removes and restores, at both widths."""

import pytest

from accounts.models import User
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported
from tests.browser.wizard_steps import shoot
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ops_see_which_records_an_undo_removes_before_confirming(
    page, live_server, ops: User, tmp_path
) -> None:
    # given: an import that made 60 accounts and changed one
    AccountFactory.create(name="Gull Bank", employees=3400)
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account Name,Employees\nGull Bank,3500\n"
        + "".join(
            f"Longwater Regional Health Cooperative {n:03d},{n}\n" for n in range(1, 61)
        )
    )
    job = imported(path)
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{job.pk}/undo/")

    # then
    rows = page.locator("#undo-records tbody tr")
    assert rows.count() == 50
    assert rows.first.inner_text() == (
        "account Longwater Regional Health Cooperative 001\tdeleted"
    )
    assert page.inner_text("#undo-more") == "and 11 more."
    with page.expect_download() as download:
        page.click("#undo-csv")
    assert download.value.suggested_filename == f"import-{job.pk}-undo.csv"
    for width in (1366, 820):
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0
    shoot(page, "wizard-undo-records")
