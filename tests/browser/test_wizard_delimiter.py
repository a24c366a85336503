"""Choose the delimiter of a file detection refuses as mixing two, in Chromium."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from accounts.models import Account
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

SEGMENT = (
    Path(__file__).parents[1]
    / "accounts"
    / "fixtures"
    / "delimiters"
    / "segment_in_header.csv"
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
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png")
    page.set_viewport_size({"width": 1366, "height": 768})


def test_ops_choose_the_comma_for_a_file_refused_as_mixing_delimiters(
    page, live_server, ops
) -> None:
    # given: a file whose header names "Industry;Segment"
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/wizard/")

    # when: it is uploaded with the delimiter detected
    page.set_input_files("#wizard-files", [str(SEGMENT)])
    page.click("text=Upload and preview")

    # then: it is refused, saying how to choose
    error = page.inner_text("p.error")
    assert "the file mixes commas and semicolons as delimiters" in error
    assert "(Delimiter on the upload page," in error
    assert page.input_value("#wizard-delimiter") == ""
    shoot(page, "delimiter-refused")

    # when: the comma is chosen and the file uploaded again
    page.select_option("#wizard-delimiter", "comma")
    page.set_input_files("#wizard-files", [str(SEGMENT)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")

    # then: the preview says the delimiter was chosen and reads three columns
    assert (
        "Read as UTF-8 text, comma-separated (delimiter chosen by you)."
        in page.inner_text(".file-facts")
    )
    assert page.input_value("#delimiter-0") == "comma"
    assert page.locator("table.mapping thead th").all_inner_texts() == [
        "Account Name",
        "Industry;Segment",
        "Annual Revenue",
    ]
    assert page.locator("table.mapping tbody tr:first-child td").all_inner_texts() == [
        "Harbor Freight Co",
        "Retail;Wholesale",
        "1200",
    ]
    shoot(page, "delimiter-chosen")

    # when: the column is mapped to the sector and the file imported
    page.select_option(
        "select[aria-label='Field for Industry;Segment']", "account.sector"
    )
    page.click("#confirm-mapping")
    page.wait_for_url("**/check/")
    page.click("#start-import")
    page.wait_for_selector("#report-counts")

    # then
    assert "Accounts\t2\t0\t0\t0" in page.inner_text("#report-counts")
    assert sorted(Account.objects.values_list("name", "sector")) == [
        ("Harbor Freight Co", "Retail;Wholesale"),
        ("Kestrel Labs", "Biotech;Research"),
    ]

    # when: the same file comes again, the delimiter left to detection
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(SEGMENT)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")

    # then: read with the comma saved with the mapping, not refused
    facts = page.inner_text(".file-facts")
    assert (
        "Read as UTF-8 text, comma-separated (delimiter reused from the mapping "
        "saved for these headers)." in facts
    )
    assert "Saved mapping reused" in facts
    assert page.input_value("#delimiter-0") == "comma"
    shoot(page, "delimiter-reused")


def test_ops_detect_again_and_choose_from_the_refusal(page, live_server, ops) -> None:
    # given: the file read with the comma chosen
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.select_option("#wizard-delimiter", "comma")
    page.set_input_files("#wizard-files", [str(SEGMENT)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")

    # when: the delimiter is detected again
    page.click("text=Detect it again")
    page.wait_for_selector("p.error")

    # then: the refusal offers the choice for the file
    assert "mixes commas and semicolons" in page.inner_text("p.error")
    shoot(page, "delimiter-detected-again")

    # when: the tab is chosen, which the header does not hold
    page.select_option("#delimiter-error", "tab")
    page.click("text=Read with this delimiter")
    page.wait_for_selector("ul.messages")

    # then
    assert page.inner_text("ul.messages") == (
        "segment_in_header.csv: line 1, the header row, holds no tab, so the "
        "tab chosen as the delimiter does not split it into columns; choose "
        "another delimiter, or let Lode detect it"
    )
    shoot(page, "delimiter-refused-choice")

    # when: the comma is chosen from the refusal
    page.select_option("#delimiter-error", "comma")
    page.click("text=Read with this delimiter")
    page.wait_for_selector("#confirm-mapping")

    # then
    assert "(delimiter chosen by you)" in page.inner_text(".file-facts")
