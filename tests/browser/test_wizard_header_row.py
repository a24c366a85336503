"""Choose a file's header row, and reuse a saved stage answer, in Chromium."""

from pathlib import Path

import pytest

from accounts.models import Account, SavedMapping
from tests.browser.wizard_steps import shoot, wizard_checked
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

WIZARD = Path(__file__).parents[1] / "accounts" / "fixtures" / "wizard"
GROUPED = (
    b"Company,,Size,\n"
    b"Account Name,Industry,Employees,Billing Country\n"
    b"Pelican Paper Co,Paper,120,Sweden\n"
    b"Gull Bank,Banking,3400,Norway\n"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ops_pick_another_header_row_and_import_from_it(
    page, live_server, ops, tmp_path
) -> None:
    # given: a file whose group row is read as its header
    path = tmp_path / "grouped.csv"
    path.write_bytes(GROUPED)
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(path)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")

    # then: the preview says which line it took and why it is unsure
    assert page.inner_text(".header-said") == (
        "Header row: line 1 (found). Lode is not sure: line 2 below it names "
        "more columns and holds no figures; 2 of its 4 columns have no name."
    )
    shoot(page, "header-unsure")

    # when: line 2 is chosen
    page.select_option("#header-line-0", "2")
    page.click("text=Read this row as the header")
    page.wait_for_selector("text=chosen by you")

    # then: the file is read again from line 2, line 1 shown as skipped
    assert page.inner_text(".header-said") == (
        "Header row: line 2 (chosen by you, 1 line above it skipped)."
    )
    assert page.inner_text(".skipped-rows") == "Line 1, skipped: Company · Size"
    assert page.locator("table.mapping thead th").all_inner_texts() == [
        "Account Name",
        "Industry",
        "Employees",
        "Billing Country",
    ]
    assert page.input_value("select[aria-label='Field for Employees']") == (
        "account.employees"
    )
    shoot(page, "header-chosen")

    # when: the mapping is confirmed and the file imported
    page.click("#confirm-mapping")
    page.wait_for_url("**/check/")
    assert "Line 1, above the header row chosen, is skipped\tdropped" in (
        page.inner_text("main")
    )
    page.click("#start-import")
    page.wait_for_selector("#report-counts")

    # then
    assert "Accounts\t2\t0\t0\t0" in page.inner_text("#report-counts")
    assert sorted(Account.objects.values_list("name", "employees")) == [
        ("Gull Bank", 3400),
        ("Pelican Paper Co", 120),
    ]


def test_ops_see_a_saved_stage_answer_and_change_it(page, live_server, ops) -> None:
    # given: "Banana" answered open for an earlier file with these headers
    Account.objects.create(name="Acme Corporation")
    browser_login(page, live_server, ops.username)
    wizard_checked(page, live_server, WIZARD / "deal_stages.csv")
    question = page.locator("form.question", has_text="'Banana'")
    question.locator("button[value=open]").click()
    page.wait_for_url("**/check/")

    # when: the same file is uploaded again
    wizard_checked(page, live_server, WIZARD / "deal_stages.csv")

    # then: Banana is not asked again, and the saved answer is shown
    assert (
        page.locator("form.question:not(.saved-answer)", has_text="'Banana'").count()
        == 0
    )
    saved = page.locator("form.saved-answer", has_text="'Banana'")
    assert "read as open, the answer saved with the mapping" in saved.inner_text()
    assert saved.locator("button[aria-pressed=true]").inner_text() == "Open"
    shoot(page, "stage-saved")

    # when: it is changed to lost
    saved.locator("button[value=lost]").click()
    page.wait_for_url("**/check/")

    # then
    assert SavedMapping.objects.get().stage_answers == {"banana": "lost"}


def test_ops_pick_a_header_row_on_line_40_below_a_long_preamble(
    page, live_server, ops, tmp_path
) -> None:
    # given: an ERP extract with 39 lines of parameters above its header
    path = tmp_path / "extract.csv"
    path.write_text(
        "".join(f"Report parameter {number}: all\n" for number in range(1, 40))
        + "Account Name,Industry,Employees\n"
        + "Pelican Paper Co,Paper,120\n"
        + "Gull Bank,Banking,3400\n"
    )
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(path)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")
    assert page.inner_text(".header-bound") == (
        "Any line with content among the first 200 can be the header."
    )
    shoot(page, "header-long-found")

    # when: line 40 is chosen
    page.select_option("#header-line-0", "40")
    page.click("text=Read this row as the header")
    page.wait_for_selector("text=chosen by you")

    # then
    assert page.inner_text(".header-said") == (
        "Header row: line 40 (chosen by you, 39 lines above it skipped)."
    )
    assert page.locator("table.mapping thead th").all_inner_texts() == [
        "Account Name",
        "Industry",
        "Employees",
    ]
    assert page.input_value("#header-line-0") == "40"
    assert page.inner_text(".skipped-many summary") == (
        "39 lines with content skipped above the header"
    )
    assert not page.is_visible(".skipped-rows")
    shoot(page, "header-long-chosen")
    page.click(".skipped-many summary")
    assert page.locator(".skipped-rows li").nth(38).inner_text() == (
        "Line 39, skipped: Report parameter 39: all"
    )
