"""The check page's Value column wraps between words, in Chromium."""

import pytest

from accounts.models import Account
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

LONG_TOKEN = "9" * 70
# For each Value cell: how many of its words (runs between spaces and marks
# such as _ . /) Chromium broke across lines, whether a run longer than 40
# characters wrapped, and whether the cell overflows.
VALUE_CELLS = r"""
() => Array.from(document.querySelectorAll("table.issues td.value code")).map(
  (code) => {
    let broken = 0;
    let longWrapped = false;
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const text = walker.currentNode;
      for (const match of text.data.matchAll(/[^\s_.\/,;:@=&?+-]+/g)) {
        const range = document.createRange();
        range.setStart(text, match.index);
        range.setEnd(text, match.index + match[0].length);
        const lines = new Set(
          Array.from(range.getClientRects()).map((rect) => Math.round(rect.top))
        ).size;
        if (lines > 1 && match[0].length > 40) longWrapped = true;
        else if (lines > 1) broken += 1;
      }
    }
    const cell = code.closest("td");
    return {
      text: code.textContent,
      broken,
      longWrapped,
      overflows: cell.scrollWidth > cell.clientWidth + 1,
    };
  }
)
"""


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("width", [1366, 820])
def test_the_value_column_wraps_at_spaces_and_breaks_only_long_tokens(
    page, live_server, ops, tmp_path, width
) -> None:
    # given: values of several words beside one long unbroken number, in a
    # file with a long name and reasons that take room of their own
    path = tmp_path / "salesforce_opportunities_export_2026_q4_final.csv"
    path.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date\n"
        "006A1,Renewal,Nordlicht Maschinenbau Vertriebsgesellschaft Hamburg,"
        "Closed Won,100,2026-01-05\n"
        f"006A2,Press line,Brightwater Foods,Closed Won,{LONG_TOKEN},2026-01-05\n"
        "006A3,Spares,Internationale Schifffahrtsgesellschaft Nordsee,"
        "Closed Won,100,2026-01-05\n",
        encoding="utf-8",
    )
    Account.objects.create(name="Brightwater Foods")
    mapped = mapped_import_create_from_paths(user=ops, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/check/")
    cells = page.evaluate(VALUE_CELLS)
    page.screenshot(path=str(tmp_path / f"check-values-{width}.png"), full_page=True)

    # then: no word is cut, the long number wraps inside its cell
    assert [cell["text"] for cell in cells] == [
        "Nordlicht Maschinenbau Vertriebsgesellschaft Hamburg",
        LONG_TOKEN,
        "Internationale Schifffahrtsgesellschaft Nordsee",
    ]
    assert [cell["broken"] for cell in cells] == [0, 0, 0]
    assert [cell["longWrapped"] for cell in cells] == [False, True, False]
    assert not any(cell["overflows"] for cell in cells)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


# How many lines each Value cell's text takes.
VALUE_LINES = r"""
() => Array.from(document.querySelectorAll("table.issues td.value code")).map(
  (code) => {
    const range = document.createRange();
    range.selectNodeContents(code);
    const tops = Array.from(range.getClientRects()).map((rect) =>
      Math.round(rect.top)
    );
    return [code.textContent, new Set(tops).size];
  }
)
"""


@pytest.mark.parametrize("width", [1366, 820])
def test_a_number_with_separators_stays_on_one_line(
    page, live_server, ops, tmp_path, width
) -> None:
    # given: head counts written with separators, which a head count refuses,
    # beside a date; reasons long enough to squeeze the Value column
    path = tmp_path / "accounts_with_grouped_numbers.csv"
    path.write_text(
        "Account Name,Employees,Year Established\n"
        'Nordlicht Maschinenbau,"1.234,567",1990\n'
        'Brightwater Foods,"12.345.678,9",2026-12-31\n',
        encoding="utf-8",
    )
    mapped = mapped_import_create_from_paths(user=ops, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/check/")
    cells = page.evaluate(VALUE_LINES)
    page.screenshot(path=str(tmp_path / f"check-numbers-{width}.png"), full_page=True)

    # then: each number and date reads on one line, and the page fits
    assert sorted(cells) == [
        ["1.234,567", 1],
        ["12.345.678,9", 1],
        ["2026-12-31", 1],
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
