"""The large-upload warnings and an account's CRM fields, in Chromium."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import (
    Account,
    CurrencyRate,
    MappedImport,
    Product,
    RevenueLine,
)
from accounts.wizard import mapped_import_mapping_accept
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

WIZARD = Path(__file__).parents[1] / "accounts" / "fixtures" / "wizard"
BYOD = Path(__file__).parents[1] / "accounts" / "fixtures" / "byod"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("width", [1366, 820])
def test_a_large_upload_shows_its_warnings_before_the_start(
    page, live_server, ops, monkeypatch, tmp_path, width
) -> None:
    # given: revenue in early 2025, and every upload checked in the background
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    product = Product.objects.create(name="GTX Pro")
    for name in ["Nordlicht Maschinenbau GmbH", "Brightwater Foods", "Harbor"]:
        RevenueLine.objects.create(
            account=Account.objects.create(name=name),
            product=product,
            quarter_start=date(2025, 1, 1),
            amount=Decimal(100),
        )
    # The file bills in EUR: with a rate, the window is the first warning.
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="USD",
        rate_date=date(2026, 3, 31),
        rate=Decimal("1.08"),
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(WIZARD / "erp_revenue.csv")])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")
    mapped = MappedImport.objects.get()
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/check/")

    # then
    warnings = page.locator("[data-testid=import-warnings]")
    assert warnings.inner_text().startswith(
        "Before you import\nThis import moves the scoring window from "
        "Q2 2024\u2013Q1 2025 to Q3 2025\u2013Q2 2026"
    )
    assert page.locator("#start-import").is_visible()
    page.screenshot(path=str(tmp_path / f"large-check-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1366, 820])
def test_the_account_page_lists_the_crm_fields(
    page, live_server, ops, tmp_path, width
) -> None:
    # given
    account = Account.objects.create(
        name="Acme Widgets, Inc",
        custom_values={"Region__c": "North America", "Tier__c": "A"},
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/{account.pk}/")

    # then
    fields = page.locator("[data-testid=custom-fields]")
    assert fields.inner_text() == (
        "Fields from the CRM\nRegion__c\nNorth America\nTier__c\nA"
    )
    page.screenshot(path=str(tmp_path / f"account-{width}.png"), full_page=True)
