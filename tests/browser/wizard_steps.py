"""Steps through the import wizard's pages that several browser tests take."""

import os
from pathlib import Path

from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

# Set to a folder to keep screenshots of each wizard page.
SHOTS = os.environ.get("LODE_SCREENSHOTS", "")


def shoot(page: Page, name: str) -> None:
    """Keep the page at a desktop and a tablet width, when SHOTS is set."""
    if not SHOTS:
        return
    for width in (1366, 820):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def wizard_checked(page: Page, live_server: LiveServer, path: Path) -> None:
    """Upload one file, take the proposed mapping and reach the check page."""
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(path)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")
    page.click("#confirm-mapping")
    page.wait_for_url("**/check/")


def refused_rows(page: Page, reason: str) -> int:
    """Count the check page's issue cells giving this reason."""
    return page.locator("table.issues td", has_text=reason).count()


def proposal_ticked(page: Page) -> None:
    """Tick the one proposed match; the page checks the upload again."""
    page.check(".proposals input[name=merge]")
    page.wait_for_load_state()
    page.wait_for_selector(".proposals input[name=merge]:checked")


def good_rows_imported(page: Page) -> str:
    """Import the good rows from the check page; return the report's counts."""
    page.locator("input[name=keep_good_rows]").last.check()
    page.locator("#start-import").last.click()
    page.wait_for_url("**/import/wizard/*/")
    page.wait_for_selector("#report-counts")
    return page.inner_text("#report-counts")


def company_match_proposed_and_taken(
    page: Page, *, proposal: str, refused: str, shots: str
) -> str:
    """On the check page, take the one proposed company match, then import.

    Before the match is ticked its two rows are refused with the others;
    after, only the two rows whose company matches nothing, or two accounts.
    Return the report's counts.
    """
    assert page.locator(".proposals li").all_inner_texts() == [proposal]
    assert refused_rows(page, refused) == 2
    assert "Problems: 4 rows rejected" in page.inner_text("main")
    shoot(page, f"{shots}-proposal")

    proposal_ticked(page)

    assert refused_rows(page, refused) == 0
    assert "Problems: 2 rows rejected" in page.inner_text("main")
    shoot(page, f"{shots}-proposal-ticked")

    return good_rows_imported(page)
