"""A rep adds a deal from the account page and pages through all its deals.

In Chromium, at a laptop's and a tablet's width.
"""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, Opportunity, User
from tests.accounts.factories import ProductFactory
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 820])
def test_a_rep_adds_a_deal_and_pages_through_all_of_them(
    page, live_server, rep: User, account: Account, tmp_path: Path, width: int
) -> None:
    # given: 54 won deals, more than the account page and one list page show
    product = ProductFactory.create(name="GTX Pro")
    Opportunity.objects.bulk_create(
        Opportunity(
            external_id=f"0065g00000Q1w{number:03}",
            account=account,
            product=product,
            owner=rep,
            stage=Opportunity.Stage.WON,
            closed_on=date(2025, 1, 1) + timedelta(days=number),
            close_value=Decimal("1000.00"),
        )
        for number in range(54)
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("accounts:detail", args=[account.pk]))

    # when: Rita adds a deal still in play
    page.get_by_role("link", name="New deal").click()
    assert page.locator("h1").inner_text() == "New deal for Acme Corporation"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"deal-new-{width}.png"), full_page=True)
    page.select_option("select[name=product]", label="GTX Pro")
    page.select_option("select[name=stage]", "engaging")
    page.fill("input[name=close_value]", "64000")
    page.fill("input[name=closed_on]", "2027-06-30")
    page.get_by_role("button", name="Add deal").click()

    # then: back on the account page, with the new deal first
    deal = Opportunity.objects.get(external_id__startswith="lode-")
    said = page.locator(".messages li").inner_text()
    assert said == f"Deal {deal.external_id} added."
    first = page.locator("[data-testid=deals] tbody tr").first
    assert first.locator("td").all_inner_texts()[1:6] == [
        "GTX Pro",
        "Engaging",
        "64,000.00 USD",
        "30 Jun 2027",
        rep.display_name,
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.locator("#deals").screenshot(path=str(tmp_path / f"deals-card-{width}.png"))

    # when: she opens the list of all 55
    page.get_by_role("link", name="All 55 deals").click()

    # then: 50 on the first page, the new one first, and the rest after
    heading = page.locator("h1").inner_text()
    assert heading == "Deals of Acme Corporation (55)"
    rows = page.locator("[data-testid=deal-list] tbody tr")
    assert rows.count() == 50
    assert rows.first.locator("td").first.inner_text() == deal.external_id
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"deal-list-{width}.png"), full_page=True)
    page.get_by_role("link", name="Next →").click()
    assert rows.count() == 5
    assert page.locator(".pager").inner_text().strip().startswith("← Previous")
    assert rows.last.locator("td").first.inner_text() == "0065g00000Q1w000"
    page.screenshot(path=str(tmp_path / f"deal-list-2-{width}.png"), full_page=True)
