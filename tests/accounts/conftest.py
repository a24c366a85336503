"""A hand-edited deal and the helpers its page and API tests share."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account, ChangeRecord, Opportunity, User
from tests.accounts.factories import ProductFactory

STALE_DETAIL = (
    "Someone changed this since you read it. Here is the current version; "
    "apply your change to it and send its ETag."
)
# When the deal fixture was last changed, so its ETag is known.
READ_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def deal(account: Account, rep: User) -> Opportunity:
    deal = Opportunity.objects.create(
        external_id="0065g00000Q1w2eAAB",
        account=account,
        product=ProductFactory.create(name="GTX Pro"),
        owner=rep,
        stage=Opportunity.Stage.ENGAGING,
        engaged_on=date(2026, 1, 12),
        closed_on=date(2026, 3, 31),
        close_value=Decimal("48000.00"),
        currency="USD",
    )
    Opportunity.objects.filter(pk=deal.pk).update(updated_at=READ_AT)
    deal.refresh_from_db()
    return deal


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
