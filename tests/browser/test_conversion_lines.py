"""The check says each annual revenue conversion; the account page a deal
no rate converts, in Chromium."""

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page

from accounts.models import Opportunity
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

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


def test_ops_see_a_kept_revenue_converted_with_its_rate_and_result(
    page, live_server, ops, tmp_path: Path
) -> None:
    # given: a revenue kept in yen, and a yen rate to import
    AccountFactory.create(
        name="Kaisha KK",
        annual_revenue=Decimal("250000000.00"),
        annual_revenue_currency="JPY",
        annual_revenue_rate=None,
    )
    rates = tmp_path / "rates_jpy.csv"
    rates.write_text("Currency,Rate,Rate Date\nJPY,0.0067,2026-03-31\n")
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(rates)])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")
    page.click("#confirm-mapping")
    page.wait_for_url("**/check/")

    # then
    assert (
        "Rate (rates_jpy.csv): Kaisha KK: annual revenue 250,000,000 JPY = "
        "1,675,000.00 USD at 1 JPY = 0.0067 USD (rate of 31 Mar 2026)"
    ) in page.locator("ul.decisions li").all_inner_texts()
    shoot(page, "check-conversion")


def test_a_rep_sees_a_lone_deal_no_rate_converts_as_not_counted(
    page, live_server, rep, account
) -> None:
    # given
    Opportunity.objects.create(
        external_id="jpy-1",
        account=account,
        product=ProductFactory.create(name="GTX Pro"),
        stage=Opportunity.Stage.WON,
        closed_on=datetime.date(2017, 3, 1),
        close_value=Decimal("5000000"),
        currency="JPY",
    )
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/accounts/{account.pk}/")

    # then
    assert page.inner_text("[data-testid=won-deals]") == (
        "(no deal counted: 1 JPY deal has no rate)"
    )
    shoot(page, "account-no-deal-counted")
