"""Choose a whole-file number format on the upload page, in Chromium."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from accounts.models import Account, SavedMapping
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_confirm,
)
from accounts.wizard_number_formats import mapped_import_number_formats_choose
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

AMBIGUOUS = (
    Path(__file__).parents[1]
    / "accounts"
    / "fixtures"
    / "number_formats"
    / "ambiguous.csv"
)
SHOTS = os.environ.get("LODE_SCREENSHOTS", "")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def shoot(page: Page, name: str) -> None:
    """Keep the page at a laptop's and a tablet's screen, when SHOTS is set."""
    if not SHOTS:
        return
    for width, height in ((1366, 768), (820, 1180)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def test_ops_choose_a_comma_decimal_format_and_the_amounts_are_read_in_it(
    page, live_server, ops
) -> None:
    # given: a file whose "1,250" could group thousands or mark decimals
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    assert page.input_value("#wizard-number-format") == ""
    shoot(page, "number-format-upload")

    # when: it is uploaded with "1.234,56" chosen
    page.select_option("#wizard-number-format", "1.234,56")
    page.set_input_files("#wizard-files", [str(AMBIGUOUS)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")

    # then: the preview says so
    assert page.inner_text(".number-format-said") == (
        "Every amount is read as '1.234,56', the number format chosen for this "
        "file; a value written otherwise is refused."
    )
    shoot(page, "number-format-chosen")

    # when: the mapping is confirmed and the file imported
    page.click("#confirm-mapping")
    page.wait_for_url("**/check/")
    page.click("#start-import")
    page.wait_for_selector("#report-counts")

    # then: every amount was read with a decimal comma, none asked
    assert "Accounts\t3\t0\t0\t0" in page.inner_text("#report-counts")
    assert sorted(
        (name, f"{revenue:.2f}")
        for name, revenue in Account.objects.values_list("name", "annual_revenue")
    ) == [
        ("Harbor Freight Co", "1.25"),
        ("Kestrel Labs", "2.50"),
        ("Orchid Systems", "7.00"),
    ]

    # when: the same file comes again, the format left to detection
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(AMBIGUOUS)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")

    # then: read in the format saved with the mapping, saying so
    assert page.inner_text(".number-format-said") == (
        "Every amount is read as '1.234,56', the number format reused from the "
        "mapping saved for these headers; a value written otherwise is refused."
    )
    shoot(page, "number-format-reused")


def test_ops_set_a_reused_format_back_to_detection(page, live_server, ops) -> None:
    # given: "1.234,56" saved with the mapping for the file's headers
    earlier = mapped_import_create_from_paths(user=ops, paths=[AMBIGUOUS])
    mapped_import_number_formats_choose(
        mapped=earlier, formats={AMBIGUOUS.name: "1.234,56"}
    )
    assert (
        mapped_import_mapping_confirm(
            mapped=earlier,
            mapping={
                AMBIGUOUS.name: {
                    "Account Name": ["account", "name"],
                    "Annual Revenue": ["account", "annual_revenue"],
                }
            },
            user=ops,
        )
        == {}
    )
    browser_login(page, live_server, ops.username)

    # when: the file comes again, the format left to the default
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(AMBIGUOUS)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")

    # then: the saved format is reused and shown as the one read in
    assert page.inner_text(".number-format-said") == (
        "Every amount is read as '1.234,56', the number format reused from the "
        "mapping saved for these headers; a value written otherwise is refused."
    )
    assert page.input_value("#number-format-0") == "1.234,56"
    shoot(page, "number-format-reused-mapping")

    # when: detection is asked for instead
    page.click("text=Detect per column instead")
    page.wait_for_selector("text=is not used")

    # then: the page says the saved format is set aside
    assert page.inner_text(".number-format-said") == (
        "Each amount column's decimal mark is detected from its values, as "
        "chosen for this file; the number format saved with the mapping for "
        "these headers ('1.234,56') is not used."
    )
    assert page.input_value("#number-format-0") == "detect"
    assert page.locator("text=Detect per column instead").count() == 0
    shoot(page, "number-format-detect-again")

    # when: the mapping is confirmed, the column asks, and a point is answered
    page.click("#confirm-mapping")
    page.wait_for_url("**/check/")
    assert "could be a thousands separator or a decimal separator" in (
        page.inner_text("form.question")
    )
    page.click("form.question >> text=Decimal point")
    page.wait_for_selector("#start-import")
    page.click("#start-import")
    page.wait_for_selector("#report-counts")

    # then: read with a decimal point, and detection is what is saved now
    assert "Accounts\t3\t0\t0\t0" in page.inner_text("#report-counts")
    assert sorted(
        (name, f"{revenue:.2f}")
        for name, revenue in Account.objects.values_list("name", "annual_revenue")
    ) == [
        ("Harbor Freight Co", "1250.00"),
        ("Kestrel Labs", "2500.00"),
        ("Orchid Systems", "7.00"),
    ]
    assert list(SavedMapping.objects.values_list("number_format", flat=True)) == [""]


def test_ops_choose_a_format_on_the_mapping_page(page, live_server, ops) -> None:
    # given: the ambiguous file uploaded with its format detected
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(AMBIGUOUS)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")
    assert page.locator(".number-format-said").count() == 0
    assert page.input_value("#number-format-0") == "detect"

    # when: "1 234,56" is chosen there
    page.select_option("#number-format-0", "1 234,56")
    page.click("text=Read in this format")
    page.wait_for_selector(".number-format-said")

    # then
    assert page.inner_text(".number-format-said") == (
        "Every amount is read as '1 234,56', the number format chosen for this "
        "file; a value written otherwise is refused."
    )
    assert page.input_value("#number-format-0") == "1 234,56"
