"""At tablet width a table wider than its card scrolls inside it, with a cue."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account, User
from scoring.models import AccountScore
from stakeholders.models import BuyingRole, Stakeholder
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

    # The portfolio table, once cut at tablet width, now fits at both.
    assert widths["/scoring/portfolio/"] == [False]


def test_the_portfolio_scores_show_on_a_tablet_with_the_place_folded(
    page, live_server, manager, rep: User, account: Account
) -> None:
    # given: long values in every column that used to push the scores out
    account.name = "Internationalisation Procurement and Supply Holdings"
    account.sector = "telecommunications"
    account.country = "United Kingdom of Great Britain and Northern Ireland"
    account.save()
    score(
        current_run(),
        account,
        ttm_revenue=Decimal("123456789"),
        quadrant=AccountScore.Quadrant.EXPAND,
        tier=AccountScore.Tier.A,
    )
    page.set_viewport_size({"width": 820, "height": 900})
    browser_login(page, live_server, manager.username)

    # when
    page.goto(f"{live_server.url}/scoring/portfolio/")
    row = page.locator("#account-table tbody tr").first
    cells = row.locator("td")

    # then: the quadrant and tier cells lie inside the viewport, and the
    # page does not scroll sideways
    quadrant = cells.nth(6).bounding_box()
    tier = cells.nth(7).bounding_box()
    assert quadrant is not None and tier is not None
    assert quadrant["x"] + quadrant["width"] <= 820
    assert tier["x"] + tier["width"] <= 820
    assert cells.nth(6).inner_text() == "Expand"
    assert cells.nth(7).inner_text() == "A"
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    assert page.evaluate(WRAPS) == [{"wider": False, "scrolls": True, "shadow": True}]

    # and the hidden sector and country read under the account name
    assert cells.nth(1).is_hidden() and cells.nth(2).is_hidden()
    assert cells.first.inner_text().splitlines() == [
        "Internationalisation Procurement and Supply Holdings",
        "Telecommunications · United Kingdom of Great Britain and Northern Ireland",
    ]


def test_the_portfolio_shows_sector_and_country_columns_on_a_laptop(
    page, live_server, manager, rep: User, account: Account
) -> None:
    # given
    score(current_run(), account)
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, live_server, manager.username)

    # when
    page.goto(f"{live_server.url}/scoring/portfolio/")
    cells = page.locator("#account-table tbody tr").first.locator("td")

    # then: each value has its own column and nothing is folded
    assert cells.all_inner_texts()[:3] == [
        "Acme Corporation",
        "Retail",
        "United States",
    ]
    assert cells.first.locator(".folded").is_hidden()


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


def test_the_score_run_warnings_show_on_a_tablet(
    page, live_server, manager: User
) -> None:
    # given: a finished run with a warning, requested by hand
    run = current_run()
    run.message = "2 revenue lines in CHF left out for want of a rate"
    run.trigger = "manual"
    run.requested_by = manager
    run.started_at = run.finished_at = timezone.now()
    run.save()
    page.set_viewport_size({"width": 820, "height": 900})
    browser_login(page, live_server, manager.username)

    # when
    page.goto(f"{live_server.url}/scoring/runs/all/")
    warnings = page.locator(f"tr[data-run='{run.pk}'] td").last

    # then: the warnings column fits beside the dates, which break instead
    box = warnings.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 820
    assert warnings.inner_text() == (
        "1 warning: 2 revenue lines in CHF left out for want of a rate"
    )
    assert page.evaluate(WRAPS) == [{"wider": False, "scrolls": True, "shadow": True}]


def test_the_people_table_shows_its_edit_buttons_at_768(
    page, live_server, rep: User, account: Account
) -> None:
    # given: people as the demo has them, with roles, an owner and the
    # relationship they should grow into
    # (The roles come from a migration, which a flush before may undo.)
    economic, _ = BuyingRole.objects.get_or_create(
        key="economic-buyer", defaults={"name": "Economic buyer"}
    )
    coach, _ = BuyingRole.objects.get_or_create(
        key="champion", defaults={"name": "Coach / champion"}
    )
    for title, roles in (
        ("Chief Information Officer", [economic, coach]),
        ("Head of Procurement", [coach]),
    ):
        person = StakeholderFactory.create(
            account=account,
            first_name="Tamsin",
            last_name="Fontaine",
            title=title,
            department="Operations",
            seniority=Stakeholder.Seniority.DIRECTOR,
            source="synthetic demo data",
            owner=rep,
            sentiment=Stakeholder.Sentiment.SUPPORTER,
            sentiment_confirmed=True,
            sentiment_confirmed_at=timezone.now(),
            influence_confirmed=True,
            relationship_current=Stakeholder.RelationshipLevel.PROBLEM_SOLVER,
            relationship_desired=Stakeholder.RelationshipLevel.STRATEGIC_CONTRIBUTOR,
        )
        person.roles.set(roles)
    page.set_viewport_size({"width": 768, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/stakeholders/account/{account.pk}/")
    edit = page.locator("table.people button[data-edit]").first
    box = edit.bounding_box()
    card = page.locator("table.people").locator("xpath=..").bounding_box()

    # then: the table fits its card, Edit buttons included
    assert box is not None and card is not None
    assert box["x"] + box["width"] <= card["x"] + card["width"]
    assert page.evaluate(WRAPS) == [{"wider": False, "scrolls": True, "shadow": True}]
