"""A pursuit's amount keeps its currency's decimals through the API."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import User
from plans.models import Plan, Pursuit, Strategy
from plans.services import pursuit_create
from tests.accounts.factories import ProductFactory
from tests.plans.factories import gated_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def pursuit(rep: User, plan: Plan, strategy: Strategy) -> Pursuit:
    return pursuit_create(
        user=rep,
        plan=plan,
        template=gated_template(),
        values={
            "name": "Souq expansion",
            "product": ProductFactory.create(),
            "strategy": strategy,
            "amount": Decimal("26768"),
            "expected_close_on": date(2026, 9, 30),
        },
    )


def patch(client: Client, pursuit: Pursuit, body: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.patch(
        f"/api/plans/items/pursuit/{pursuit.pk}/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"If-Match": f'"{pursuit.version}"'},
    )


def test_an_amount_in_dinars_is_kept_to_the_fils(
    client: Client, rep: User, pursuit: Pursuit
) -> None:
    client.force_login(rep)

    answer = patch(client, pursuit, {"amount": "12.345", "currency": "KWD"})

    assert answer.status_code == 200, answer.json()
    assert answer.json()["fields"]["amount"] == "12.345"
    pursuit.refresh_from_db()
    assert (pursuit.amount, pursuit.currency) == (Decimal("12.345"), "KWD")
    read = client.get(f"/api/plans/items/pursuit/{pursuit.pk}/")
    assert read.json()["fields"]["amount"] == "12.345"


def test_an_amount_in_dollars_reads_to_the_cent_as_before(
    client: Client, rep: User, pursuit: Pursuit
) -> None:
    client.force_login(rep)

    read = client.get(f"/api/plans/items/pursuit/{pursuit.pk}/")

    assert read.json()["fields"]["amount"] == "26768.00"
    assert read.json()["display"]["amount"] == "26768.00"


def test_a_third_decimal_in_dollars_is_refused_under_the_amount(
    client: Client, rep: User, pursuit: Pursuit
) -> None:
    client.force_login(rep)

    answer = patch(client, pursuit, {"amount": "12.345"})

    assert answer.status_code == 400
    assert answer.json() == {
        "amount": ["3 decimals, but USD has 2: round the amount or check its currency"]
    }
    pursuit.refresh_from_db()
    assert pursuit.amount == Decimal("26768.00")
