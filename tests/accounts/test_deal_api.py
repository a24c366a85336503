"""An account's CRM deals through the API, with the CRM's own fields."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import Opportunity
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db


def client_for(user: object) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def deals(account, rep) -> None:
    pro = ProductFactory.create(name="GTX Pro")
    for external_id, stage, closed_on, custom in (
        ("D-won", "won", date(2026, 3, 31), {"Forecast_Category__c": "Closed"}),
        ("D-open", "engaging", None, {}),
        ("D-lost", "lost", date(2025, 11, 30), {}),
    ):
        Opportunity.objects.create(
            external_id=external_id,
            account=account,
            product=pro,
            owner=rep,
            stage=stage,
            closed_on=closed_on,
            close_value=Decimal("48000.00"),
            custom_values=custom,
        )
    Opportunity.objects.update(updated_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


def test_a_rep_reads_the_deals_latest_close_first_without_dates_last(
    deals, rep, account
) -> None:
    response = client_for(rep).get(f"/api/accounts/{account.pk}/deals/")

    assert response.status_code == 200
    body = response.json()
    assert [deal["external_id"] for deal in body["results"]] == [
        "D-won",
        "D-lost",
        "D-open",
    ]
    first = body["results"][0]
    del first["id"]
    assert first == {
        "external_id": "D-won",
        "name": "",
        "account_id": account.pk,
        "product_id": Opportunity.objects.get(external_id="D-won").product_id,
        "product": "GTX Pro",
        "owner_id": rep.pk,
        "owner": rep.display_name,
        "stage": "won",
        "engaged_on": None,
        "closed_on": "2026-03-31",
        "close_value": "48000.00",
        "currency": "USD",
        "custom_values": {"Forecast_Category__c": "Closed"},
        "updated_at": "2026-12-01T09:00:00Z",
    }


def test_deals_filter_by_stage_and_order_by_id(deals, rep, account) -> None:
    client = client_for(rep)

    lost = client.get(f"/api/accounts/{account.pk}/deals/?stage=lost")
    by_id = client.get(f"/api/accounts/{account.pk}/deals/?ordering=external_id")

    assert [deal["external_id"] for deal in lost.json()["results"]] == ["D-lost"]
    assert [deal["external_id"] for deal in by_id.json()["results"]] == [
        "D-lost",
        "D-open",
        "D-won",
    ]


def test_an_unknown_stage_is_refused_by_name(deals, rep, account) -> None:
    response = client_for(rep).get(f"/api/accounts/{account.pk}/deals/?stage=closed")

    assert response.status_code == 400
    assert response.json() == {"stage": ['"closed" is not a valid choice.']}


def test_an_outsider_gets_404(deals, outsider, account) -> None:
    response = client_for(outsider).get(f"/api/accounts/{account.pk}/deals/")

    assert response.status_code == 404
