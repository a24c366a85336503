"""Whitespace through the API: what an account buys and what it does not."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import RevenueLine
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db


def client_for(user: object) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def catalogue(account):
    pro = ProductFactory.create(name="GTX Pro", list_price=Decimal("4800.00"))
    refunded = ProductFactory.create(name="MG Refunded", list_price=Decimal("900.00"))
    ProductFactory.create(name="MG Special", list_price=Decimal("1200.00"))
    RevenueLine.objects.create(
        account=account, product=pro, quarter_start=date(2025, 4, 1), amount=500
    )
    for quarter, amount in ((date(2025, 7, 1), 300), (date(2025, 10, 1), -300)):
        RevenueLine.objects.create(
            account=account, product=refunded, quarter_start=quarter, amount=amount
        )


def test_it_splits_the_catalogue_by_positive_revenue(catalogue, rep, account):
    response = client_for(rep).get(f"/api/accounts/{account.pk}/whitespace/")

    assert response.status_code == 200
    body = response.json()
    assert [row["name"] for row in body["bought"]] == ["GTX Pro"]
    assert body["bought"][0]["bought_since"] == "2025-04-01"
    assert body["bought"][0]["list_price"] == "4800.00"
    assert [row["name"] for row in body["not_bought"]] == [
        "MG Refunded",
        "MG Special",
    ]
    assert body["not_bought"][1]["list_price"] == "1200.00"


def test_an_outsider_gets_404(catalogue, outsider, account):
    response = client_for(outsider).get(f"/api/accounts/{account.pk}/whitespace/")

    assert response.status_code == 404


@pytest.mark.parametrize("who", ["manager", "executive"])
def test_the_manager_and_executive_read_it_but_cannot_write(
    request, who, catalogue, account
):
    client = client_for(request.getfixturevalue(who))

    read = client.get(f"/api/accounts/{account.pk}/whitespace/")
    write = client.post(f"/api/accounts/{account.pk}/whitespace/", {})

    assert read.status_code == 200
    assert write.status_code == 405
