"""Pursuit amounts keep their currency; totals convert with stored rates."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import CurrencyRate, User
from plans.errors import PlanError
from plans.models import Plan, Pursuit, SellCycleTemplate, Strategy
from plans.services import plan_item_update, pursuit_create
from scoring.services import scoring_model_active
from tests.accounts.factories import ProductFactory
from tests.plans.factories import gated_template

pytestmark = pytest.mark.django_db


def _pursuit(
    user: User, plan: Plan, strategy: Strategy, amount: str, **values: object
) -> Pursuit:
    template = SellCycleTemplate.objects.filter(name="Test cycle").first()
    return pursuit_create(
        user=user,
        plan=plan,
        template=template or gated_template(),
        values={
            "name": f"Deal {amount}",
            "product": ProductFactory.create(),
            "strategy": strategy,
            "amount": Decimal(amount),
            "expected_close_on": date(2026, 9, 30),
            **values,
        },
    )


@pytest.fixture
def mixed(rep: User, plan: Plan, strategy: Strategy) -> list[Pursuit]:
    CurrencyRate.objects.create(
        currency="EUR", rate=Decimal("1.10"), rate_date=date(2026, 6, 30)
    )
    return [
        _pursuit(rep, plan, strategy, "500"),
        _pursuit(rep, plan, strategy, "1000", currency="EUR"),
        _pursuit(rep, plan, strategy, "300", currency="SEK"),
    ]


def test_a_new_pursuit_takes_the_reporting_currency(
    rep: User, plan: Plan, strategy: Strategy
) -> None:
    model = scoring_model_active()
    model.reporting_currency = "EUR"
    model.save()

    pursuit = _pursuit(rep, plan, strategy, "700")

    assert pursuit.currency == "EUR"


def test_a_currency_that_is_not_a_code_is_refused(
    rep: User, plan: Plan, strategy: Strategy
) -> None:
    pursuit = _pursuit(rep, plan, strategy, "700")

    with pytest.raises(PlanError) as refused:
        plan_item_update(
            user=rep, item=pursuit, version=pursuit.version, values={"currency": "eur"}
        )

    assert "Enter a three-letter currency code in capitals, such as EUR." in str(
        refused.value
    )


def test_the_plan_page_converts_the_pipeline_and_says_what_it_left_out(
    client: Client, rep: User, plan: Plan, mixed: list[Pursuit]
) -> None:
    client.force_login(rep)

    response = client.get(f"/plans/{plan.pk}/")

    page = response.content.decode()
    open_total = response.context["outcomes"]["open"]
    assert (open_total.count, open_total.amount) == (3, Decimal("1600.00"))
    assert "1,600 USD</strong>" in page
    assert '<span data-show="currency">EUR</span>' in page
    assert response.context["money_notes"] == [
        "Open: EUR at 1.1 from 30 Jun 2026; 300 SEK not included (1 pursuit): "
        "no SEK rate on or before 30 Sep 2026."
    ]
    assert response.context["balance"].pipeline == Decimal("1600.00")


def test_the_plans_list_and_the_api_give_the_currency(
    client: Client, rep: User, plan: Plan, mixed: list[Pursuit]
) -> None:
    client.force_login(rep)

    page = client.get("/plans/").content.decode()
    balance = client.get("/api/plans/balance/").json()
    listed = client.get("/api/plans/pursuits/").json()

    assert "Open pipeline (USD)" in page
    assert "no SEK rate on or before 30 Sep 2026" in page
    assert balance["outcomes"]["open"]["amount"] == 1600.0
    assert balance["outcomes"]["open"]["currency"] == "USD"
    assert "300 SEK not included" in balance["outcomes"]["open"]["note"]
    assert sorted((row["amount"], row["currency"]) for row in listed["results"]) == [
        ("1000.00", "EUR"),
        ("300.00", "SEK"),
        ("500.00", "USD"),
    ]
