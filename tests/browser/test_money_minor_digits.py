"""Amounts in Chromium show their currency's decimals: KWD 3, JPY none."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Opportunity
from plans.services import plan_create, pursuit_create, strategy_create
from tests.accounts.factories import ProductFactory
from tests.conftest import browser_login
from tests.plans.factories import gated_template

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = ((1366, 768), (820, 1180))


@pytest.fixture
def plan(rep, account):
    plan = plan_create(user=rep, account=account, fiscal_year=2026)
    strategy = strategy_create(
        user=rep, plan=plan, values={"title": "Grow in the Gulf", "kind": "strategy"}
    )
    pursuit_create(
        user=rep,
        plan=plan,
        template=gated_template(),
        values={
            "name": "Gulf rollout",
            "product": ProductFactory.create(name="GTX Pro"),
            "strategy": strategy,
            "amount": Decimal("5000"),
            "currency": "JPY",
        },
    )
    return plan


def test_a_pursuit_saved_in_dinars_shows_the_fils_in_place_and_after_a_reload(
    page, live_server, rep, plan
):
    # given
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    pursuit = page.locator("[data-section=pursuits] article.pursuit").first
    meta = pursuit.locator(":scope > .item-view p.meta").first
    expect(meta).to_contain_text("5,000 JPY")

    # when
    pursuit.get_by_role("button", name="Edit").click()
    pursuit.locator("input[name=amount]").fill("1234.5")
    pursuit.locator("[name=currency]").fill("KWD")
    pursuit.get_by_role("button", name="Save").click()

    # then
    expect(meta).to_contain_text("1,234.500 KWD")
    page.reload()
    expect(meta).to_contain_text("1,234.500 KWD")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        meta.scroll_into_view_if_needed()
        page.screenshot(path=f"/tmp/money3_pursuit_{width}.png")
    assert plan.pursuits.get().amount == Decimal("1234.500")

    # and a whole amount in dollars keeps its cents when saved in place
    pursuit.get_by_role("button", name="Edit").click()
    pursuit.locator("input[name=amount]").fill("1200")
    pursuit.locator("[name=currency]").fill("USD")
    pursuit.get_by_role("button", name="Save").click()
    expect(meta).to_contain_text("1,200.00 USD")
    page.reload()
    expect(meta).to_contain_text("1,200.00 USD")


def test_the_account_page_lists_deals_in_their_currencys_decimals(
    page, live_server, rep, account
):
    # given
    product = ProductFactory.create(name="GTX Pro")
    for key, value, currency in (
        ("D-1", "48250.125", "KWD"),
        ("D-2", "250000", "JPY"),
        ("D-3", "48000", "USD"),
    ):
        Opportunity.objects.create(
            external_id=key,
            account=account,
            product=product,
            stage=Opportunity.Stage.ENGAGING,
            close_value=Decimal(value),
            currency=currency,
        )

    # when
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/accounts/{account.pk}/")

    # then
    for text in ("48,250.125 KWD", "250,000 JPY", "48,000.00 USD"):
        expect(page.get_by_role("cell", name=text)).to_be_visible()
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.get_by_role("cell", name="48,250.125 KWD").scroll_into_view_if_needed()
        page.screenshot(path=f"/tmp/money3_deals_{width}.png")
