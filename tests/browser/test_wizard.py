from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Dialog

from accounts.models import Account, ImportJob
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

WIZARD = Path(__file__).parents[1] / "accounts" / "fixtures" / "wizard"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ops_import_semicolon_day_first_files_and_see_them_on_the_quadrant(
    page, live_server, ops
) -> None:
    # given
    browser_login(page, live_server, ops.username)

    # when: upload a semicolon file with decimal commas and one with
    # day-first dates
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files(
        "#wizard-files",
        [
            str(WIZARD / "accounts_semicolon.csv"),
            str(WIZARD / "opportunities_semicolon.csv"),
        ],
    )
    page.click("text=Upload and preview")

    # then: both files are recognised and previewed
    page.wait_for_url("**/mapping/")
    assert page.locator(".tag-known").count() == 2
    assert (
        page.locator("table.mapping tbody tr")
        .first.inner_text()
        .startswith("Nordlicht Maschinenbau GmbH")
    )

    # when: confirm the mapping as proposed, fix nothing, import
    page.click("#confirm-mapping")
    page.wait_for_url("**/check/")
    assert "No problems found." in page.inner_text("main")
    page.click("#start-import")

    # then: the report shows what was written
    page.wait_for_url("**/import/wizard/*/")
    page.wait_for_selector("#report-counts")
    counts = page.inner_text("#report-counts")
    assert "Accounts\t2\t0\t0\t0" in counts
    assert "Deals\t4\t0\t0\t0" in counts
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED

    # and the new accounts are on the quadrant
    page.click("text=portfolio quadrant")
    page.wait_for_selector("#quadrant .main-svg")
    names = page.locator("#account-table tbody tr").all_inner_texts()
    assert any("Nordlicht Maschinenbau GmbH" in name for name in names)
    assert any("Brightwater Foods" in name for name in names)
    # Markers of accounts: a count beside a shared marker carries no ids.
    markers = page.evaluate(
        "document.getElementById('quadrant').data"
        ".filter(trace => trace.customdata)"
        ".reduce((total, trace) => total + trace.x.length, 0)"
    )
    assert markers == Account.objects.count() == 2


def test_ops_discard_an_import_they_never_started(page, live_server, ops) -> None:
    # given: a file uploaded and left at the mapping
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(WIZARD / "accounts_semicolon.csv")])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")
    job = ImportJob.objects.get()

    # when: the list is opened and the discard is first dismissed
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    row = page.locator("table.recent tbody tr")
    assert row.locator(".status").inner_text() == "Not started"
    asked = []

    def note_and_dismiss(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", note_and_dismiss)
    row.get_by_role("button", name="Discard").click()
    assert asked == [
        f"Discard import {job.pk} and its uploaded files? Nothing was imported "
        "from them."
    ]
    assert ImportJob.objects.filter(pk=job.pk).exists()

    # when: it is accepted
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Discard").click()
    page.get_by_text(f"Import {job.pk} discarded with its uploaded files.").wait_for()

    # then
    assert not ImportJob.objects.exists()
    assert page.locator("table.recent").count() == 0


def test_ops_choose_the_sheet_of_a_workbook_with_several(
    page, live_server, ops, tmp_path
) -> None:
    # given: a workbook with a notes sheet before the accounts
    workbook = Workbook()
    workbook.active.title = "Read me"
    workbook.active.append(["Exported from the CRM on 2 Dec"])
    accounts = workbook.create_sheet("Accounts")
    accounts.append(["Account Name", "Employees"])
    accounts.append(["Pelican Paper Co", 120])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    browser_login(page, live_server, ops.username)

    # when: it is uploaded
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(path)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")

    # then: the sheets are offered, and the chosen one is read
    assert page.locator("#sheet-title").inner_text() == "Which sheet of export.xlsx?"
    page.get_by_label("Accounts").check()
    page.get_by_role("button", name="Read this sheet").click()
    page.get_by_text("Read sheet 'Accounts' of an XLSX workbook.").wait_for()
    assert page.locator("table.mapping thead th").all_inner_texts() == [
        "Account Name",
        "Employees",
    ]
