"""A tester's layout findings at a tablet's width, and a laptop's, in Chromium.

A deal's ID stays whole, the row report keeps its Action column in view,
and the portfolio's filter boxes line up, its name hint under them.
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


# Every filter box, the name's hint and the buttons, measured in one
# layout: measuring one at a time lets a late reflow above the form (a
# font or the chart) move the page between two readings.
FILTER_BOXES = """
(form) => {
  const box = (element) => {
    const rect = element.getBoundingClientRect();
    return {
      left: rect.left, right: rect.right, top: rect.top, bottom: rect.bottom
    };
  };
  return {
    name: box(form.querySelector("input[type=search]")),
    lists: [...form.querySelectorAll("select")].map(box),
    hint: box(form.querySelector("#name-search-hint")),
    buttons: [...form.querySelectorAll(".filter-actions > *")].map(box),
  };
}
"""


def _overlap(one: dict, other: dict) -> bool:
    return (
        one["left"] < other["right"]
        and other["left"] < one["right"]
        and one["top"] < other["bottom"]
        and other["top"] < one["bottom"]
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_portfolio_filters_line_up_with_the_hint_under_the_name(
    page, live_server, rep: User, account: Account, width: int
) -> None:
    # given
    score(current_run(), account)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/scoring/portfolio/")
    page.evaluate("document.fonts.ready.then(() => true)")
    shown = page.locator("#filters").evaluate(FILTER_BOXES)

    # then: the lists beside the name box share its top and bottom; on a
    # tablet the other two share a line of their own
    name, lists, hint = shown["name"], shown["lists"], shown["hint"]
    beside = 3 if width == 1366 else 1
    for box in lists[:beside]:
        assert box["top"] == pytest.approx(name["top"], abs=0.5)
        assert box["bottom"] == pytest.approx(name["bottom"], abs=0.5)
    for box in lists[beside:]:
        assert box["top"] == pytest.approx(lists[beside]["top"], abs=0.5)
        assert box["top"] >= hint["bottom"]

    # then: the hint starts under the name's line, at the name box's left
    assert hint["top"] >= max(box["bottom"] for box in [name, *lists[:beside]])
    assert hint["left"] == pytest.approx(name["left"], abs=0.5)

    # then: nothing in the form overlaps anything else
    boxes = [name, *lists, hint, *shown["buttons"]]
    assert len(boxes) == 7
    assert not [
        (i, j)
        for i, one in enumerate(boxes)
        for j, other in enumerate(boxes[i + 1 :], start=i + 1)
        if _overlap(one, other)
    ]
