"""At tablet width a table wider than its card scrolls inside it, with a cue."""

import pytest

from accounts.models import Account, User
from tests.conftest import browser_login
from tests.scoring.test_portfolio_page import current_run, score
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db(transaction=True)

WRAPS = """
() => Array.from(document.querySelectorAll(".table-wrap")).map((wrap) => {
  const style = getComputedStyle(wrap);
  return {
    wider: wrap.scrollWidth > wrap.clientWidth,
    scrolls: style.overflowX === "auto",
    shadow: style.backgroundImage.includes("radial-gradient"),
  };
})
"""


@pytest.mark.parametrize("size", [1366, 820])
def test_wide_tables_scroll_in_their_card_with_a_shadow_cue(
    size: int, page, live_server, manager, rep: User, account: Account
) -> None:
    # given: names long enough that the tables outgrow 820 px
    score(current_run(), account)
    for index in range(3):
        StakeholderFactory.create(
            account=account,
            first_name=f"Maximiliane{index}",
            last_name="Oberhausen-Wittgenstein",
            title="Senior Vice President Global Procurement and Supply",
        )
    page.set_viewport_size({"width": size, "height": 900})
    browser_login(page, live_server, manager.username)

    widths = {}
    for url in (
        "/scoring/portfolio/",
        f"/accounts/{account.pk}/",
        f"/stakeholders/account/{account.pk}/",
        "/stakeholders/coverage/",
    ):
        # when
        page.goto(f"{live_server.url}{url}")
        wraps = page.evaluate(WRAPS)

        # then: the page itself never scrolls sideways, and every table
        # wrapper scrolls with a shadow at a cut edge. (Headless Chromium
        # hides scroll bars, so the bar itself is not measured here.)
        assert page.evaluate("document.documentElement.scrollWidth") <= size, url
        assert wraps, url
        assert all(wrap["scrolls"] and wrap["shadow"] for wrap in wraps), url
        widths[url] = [wrap["wider"] for wrap in wraps]

    # The portfolio table is the one the tester found cut at tablet width.
    assert (True in widths["/scoring/portfolio/"]) == (size == 820)


@pytest.mark.parametrize("size", [1366, 820])
def test_the_coverage_table_fits_a_laptop_and_a_tablet(
    size: int, page, live_server, manager, rep: User, account: Account
) -> None:
    # given: an account name with a long word, which widens its column
    account.name = "Internationalisation Procurement and Supply Holdings"
    account.save()
    StakeholderFactory.create(account=account)
    page.set_viewport_size({"width": size, "height": 900})
    browser_login(page, live_server, manager.username)

    # when
    page.goto(f"{live_server.url}/stakeholders/coverage/")
    table = page.get_by_test_id("rollup")

    # then: every column, the hidden influencers last, shows without scrolling
    assert table.locator("thead th").all_inner_texts()[-1].split() == [
        "Hidden",
        "influencers",
    ]
    assert page.evaluate(WRAPS) == [{"wider": False, "scrolls": True, "shadow": True}]
    last = table.locator("thead th").last.bounding_box()
    card = page.locator(".card").bounding_box()
    assert last is not None and card is not None
    assert last["x"] + last["width"] <= card["x"] + card["width"]
