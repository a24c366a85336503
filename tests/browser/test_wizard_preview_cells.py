"""A long cell in the mapping preview shows its first lines, not all of it."""

from pathlib import Path

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

DESCRIPTION = " ".join(["Regional distributor of paper goods and office supplies"] * 30)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("width", [1366, 820])
def test_one_long_cell_leaves_the_preview_rows_short(
    page, live_server, ops, tmp_path: Path, width: int
) -> None:
    # given a company export with one very long description
    upload = tmp_path / "companies.csv"
    upload.write_text(
        "Company name,Description,Industry\n"
        f'Pelican Paper Co,"{DESCRIPTION}",RETAIL\n'
        "Harbor Freight Lines,Short one,TRANSPORTATION\n"
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", str(upload))
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")
    page.screenshot(path=str(tmp_path / f"preview-{width}.png"), full_page=True)

    # then: the row holds four lines at most, and the whole text is a hover away
    rows = page.locator("table.mapping tbody tr")
    heights = [box["height"] for box in (row.bounding_box() for row in rows.all())]
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector("
        "'table.mapping tbody td .cell')).lineHeight)"
    )
    assert len(heights) == 2
    assert max(heights) < 5 * line
    cell = rows.first.locator("td .cell").nth(1)
    assert cell.get_attribute("title") == DESCRIPTION
    assert page.evaluate("document.documentElement.scrollWidth") == width
