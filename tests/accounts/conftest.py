"""The helpers the deal page and API tests share (the deal is in tests/conftest.py)."""

from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ChangeRecord, Opportunity, User

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
