"""A deal's and a person's fields from the CRM, in Chromium."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import Account, Opportunity, Product
from stakeholders.models import Stakeholder
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 820])
def test_the_account_page_lists_its_deals_crm_fields(
    page, live_server, ops, tmp_path, width
) -> None:
    # given
    account = Account.objects.create(name="Acme Widgets, Inc")
    product = Product.objects.create(name="GTX Pro")
    Opportunity.objects.create(
        external_id="0065g00000Q1w2eAAB",
        account=account,
        product=product,
        stage=Opportunity.Stage.WON,
        closed_on=date(2026, 3, 31),
        custom_values={
            "Forecast_Category__c": "Closed",
            "Competitor__c": "Globex Industrial Automation Holdings",
        },
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(live_server.url + reverse("accounts:detail", args=[account.pk]))

    # then
    deals = page.locator("[data-testid=custom-deals]")
    assert deals.locator("tbody td").all_inner_texts() == [
        "0065g00000Q1w2eAAB",
        "GTX Pro",
        "Won",
        "31 Mar 2026",
        "Competitor__c\nGlobex Industrial Automation Holdings\n"
        "Forecast_Category__c\nClosed",
    ]
    width_seen = page.evaluate("document.documentElement.scrollWidth")
    assert width_seen <= width
    page.screenshot(path=str(tmp_path / f"deals-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1366, 820])
def test_the_person_page_lists_their_crm_fields(
    page, live_server, ops, tmp_path, width
) -> None:
    # given
    account = Account.objects.create(name="Vireo Health")
    person = Stakeholder.objects.create(
        account=account,
        first_name="Ines",
        last_name="Gruber",
        title="Chief Financial Officer",
        custom_values={"Preferred_Language__c": "German", "Buying_Committee__c": "Yes"},
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(live_server.url + reverse("stakeholders:detail", args=[person.pk]))

    # then
    fields = page.locator("[data-testid=custom-fields]")
    assert fields.inner_text() == (
        "Fields from the CRM\nBuying_Committee__c\nYes\nPreferred_Language__c\nGerman"
    )
    width_seen = page.evaluate("document.documentElement.scrollWidth")
    assert width_seen <= width
    page.screenshot(path=str(tmp_path / f"person-{width}.png"), full_page=True)
