"""Choose a whole-file number format on the upload page, in Chromium."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from accounts.models import Account
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
