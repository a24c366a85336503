"""CRM fields of deals and people, and an undo that keeps a hand edit."""

from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, ChangeRecord, Opportunity, Product
from accounts.services import account_update
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from stakeholders.models import Stakeholder
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

BYOD = Path(__file__).parents[1] / "accounts" / "fixtures" / "byod"


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
    deals = page.locator("[data-testid=deals]")
    assert deals.locator("tbody td").all_inner_texts() == [
        "0065g00000Q1w2eAAB",
        "GTX Pro",
        "Won",
        "—",
        "31 Mar 2026",
        "—",
        "Competitor__c\nGlobex Industrial Automation Holdings\n"
        "Forecast_Category__c\nClosed",
        "Edit",
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


@pytest.mark.parametrize("width", [1366, 820])
def test_the_undo_page_names_the_field_edited_by_hand(
    page, live_server, ops, tmp_path, width, settings
) -> None:
    # given: an import sets Acme's sector and head count; then a hand edit
    settings.MEDIA_ROOT = tmp_path / "media"
    acme = Account.objects.create(
        name="Acme Widgets, Inc",
        external_id="0015g00000AbCdEAAV",
        sector="Retail",
        employees=900,
    )
    mapped = mapped_import_create_from_paths(
        user=ops, paths=[BYOD / "salesforce_api_accounts.csv"]
    )
    mapped_import_mapping_accept(mapped=mapped, user=ops)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)
    acme.refresh_from_db()
    account_update(
        account=acme,
        user=ops,
        data={"employees": 1300},
        expected_version=acme.updated_at,
    )
    # The day the edit was stored, which is not today just after midnight.
    edited = timezone.localdate(ChangeRecord.objects.latest("changed_at").changed_at)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(live_server.url + reverse("accounts:wizard_undo", args=[job.pk]))

    # then
    assert page.locator("#undo-kept li").all_inner_texts() == [
        "employees “1300” kept on account Acme Widgets, Inc: edited by "
        f"{ops.display_name} on {edited:%-d %b %Y}."
    ]
    page.screenshot(path=str(tmp_path / f"undo-{width}.png"), full_page=True)
