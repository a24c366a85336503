"""The helpers the deal page and API tests share (the deal is in tests/conftest.py)."""

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account, ChangeRecord, Opportunity, Product, User
from tests.accounts.factories import ProductFactory
from tests.accounts.invoice_files import won_deals

STALE_DETAIL = (
    "Someone changed this since you read it. Here is the current version; "
    "apply your change to it and send its ETag."
)


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def detail_url(deal: Opportunity) -> str:
    return reverse("accounts_api:deal_detail", args=[deal.pk])


def page_url(deal: Opportunity) -> str:
    return reverse("accounts:deal_edit", args=[deal.pk])


def history() -> list[tuple[str, str, str, str, str]]:
    return list(
        ChangeRecord.objects.order_by("pk").values_list(
            "action", "field", "old_value", "new_value", "changed_by__username"
        )
    )


@pytest.fixture
def catalogue() -> tuple[Product, Product, Product]:
    return (
        ProductFactory.create(name="GTX Pro"),
        ProductFactory.create(name="MG Special"),
        ProductFactory.create(name="MG Advanced"),
    )


@pytest.fixture
def acme_won(account: Account, catalogue: tuple[Product, ...]) -> Account:
    """Acme's won deals: three in Q3 2017, two in Q4 2017."""
    won_deals(
        account,
        catalogue[0],
        (date(2017, 7, 3), "5000.00"),
        (date(2017, 8, 20), "2878.00"),
        (date(2017, 9, 29), "10000.00"),
        (date(2017, 10, 2), "6000.00"),
        (date(2017, 12, 1), "700.50"),
    )
    return account
