"""Pursuit amounts keep their currency; totals convert with stored rates."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import CurrencyRate, User
from plans.errors import PlanError
from plans.models import Plan, Pursuit, SellCycleTemplate, Strategy
from plans.services import plan_item_update, pursuit_create
from plans.snapshots import snapshot_capture, snapshot_diff
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


def test_a_currency_that_is_not_an_iso_code_is_refused(
    rep: User, plan: Plan, strategy: Strategy
) -> None:
    pursuit = _pursuit(rep, plan, strategy, "700")

    with pytest.raises(PlanError) as refused:
        plan_item_update(
            user=rep, item=pursuit, version=pursuit.version, values={"currency": "XYZ"}
        )

    assert str(refused.value) == (
        "Currency: The currency XYZ is not an ISO 4217 currency code: enter one "
        "such as EUR."
    )
    pursuit.refresh_from_db()
    assert pursuit.currency == "USD"


def test_a_lower_case_currency_is_stored_in_capitals(
    rep: User, plan: Plan, strategy: Strategy
) -> None:
    pursuit = _pursuit(rep, plan, strategy, "700")

    plan_item_update(
        user=rep, item=pursuit, version=pursuit.version, values={"currency": "eur"}
    )

    pursuit.refresh_from_db()
    assert pursuit.currency == "EUR"


def test_the_api_refuses_a_made_up_currency_and_takes_lower_case(
    client: Client, rep: User, plan: Plan, strategy: Strategy
) -> None:
    # given
    pursuit = _pursuit(rep, plan, strategy, "700")
    client.force_login(rep)
    url = f"/api/plans/items/pursuit/{pursuit.pk}/"

    # when
    made_up = client.patch(
        url,
        data=json.dumps({"currency": "XYZ"}),
        content_type="application/json",
        headers={"If-Match": f'"{pursuit.version}"'},
    )
    lower = client.patch(
        url,
        data=json.dumps({"currency": "sek"}),
        content_type="application/json",
        headers={"If-Match": f'"{pursuit.version}"'},
    )

    # then
    assert made_up.status_code == 400
    assert made_up.json() == {
        "currency": [
            "The currency XYZ is not an ISO 4217 currency code: enter one such as EUR."
        ]
    }
    assert lower.status_code == 200
    assert lower.json()["fields"]["currency"] == "SEK"
    pursuit.refresh_from_db()
    assert pursuit.currency == "SEK"


def test_the_header_says_how_many_pursuits_the_total_includes(
    client: Client, rep: User, plan: Plan, mixed: list[Pursuit]
) -> None:
    client.force_login(rep)

    response = client.get(f"/plans/{plan.pk}/")

    assert response.context["outcomes"]["open"].count_text == (
        "2 of 3 pursuits in the total"
    )
    assert (
        '<span class="muted">2 of 3 pursuits in the total</span>'
        in response.content.decode()
    )


def test_a_currency_change_shows_in_what_changed(
    rep: User, plan: Plan, strategy: Strategy
) -> None:
    # given
    pursuit = _pursuit(rep, plan, strategy, "8000")
    before = snapshot_capture(plan=plan)

    # when
    plan_item_update(
        user=rep,
        item=pursuit,
        version=pursuit.version,
        values={"amount": Decimal("10000"), "currency": "EUR"},
    )
    pursuit.refresh_from_db()
    moved = snapshot_capture(plan=plan)
    plan_item_update(
        user=rep, item=pursuit, version=pursuit.version, values={"currency": "GBP"}
    )
    only_currency = snapshot_capture(plan=plan)

    # then
    assert [c.text for c in snapshot_diff(before, moved)] == [
        "Deal 8000: amount 8,000.00 USD → 10,000.00 EUR"
    ]
    assert [c.text for c in snapshot_diff(moved, only_currency)] == [
        "Deal 8000: amount 10,000.00 EUR → 10,000.00 GBP"
    ]


def test_a_capture_without_a_currency_reads_as_dollars() -> None:
    before = {"pursuits": {"7": {"name": "Rollout", "amount": "100.00"}}}
    after = {
        "pursuits": {"7": {"name": "Rollout", "amount": "100.00", "currency": "USD"}}
    }

    assert snapshot_diff(before, after) == []


def test_the_plan_page_converts_the_pipeline_and_says_what_it_left_out(
    client: Client, rep: User, plan: Plan, mixed: list[Pursuit]
) -> None:
    client.force_login(rep)

    response = client.get(f"/plans/{plan.pk}/")

    page = response.content.decode()
    open_total = response.context["outcomes"]["open"]
    assert (open_total.count, open_total.amount) == (3, Decimal("1600.00"))
    assert "1,600.00 USD</strong>" in page
    assert '<span data-show="currency">EUR</span>' in page
    assert response.context["money_notes"] == [
        "Open: EUR at 1.1 from 30 Jun 2026; 300.00 SEK not included (1 pursuit): "
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
    assert "300.00 SEK not included" in balance["outcomes"]["open"]["note"]
    assert sorted((row["amount"], row["currency"]) for row in listed["results"]) == [
        ("1000.00", "EUR"),
        ("300.00", "SEK"),
        ("500.00", "USD"),
    ]


def test_a_kwd_pipeline_reads_to_the_fils_on_the_plan_pages(
    client: Client, rep: User, plan: Plan, strategy: Strategy
) -> None:
    # given a model reporting in KWD, a pursuit in dinars and one in euros
    model = scoring_model_active()
    model.reporting_currency = "KWD"
    model.save()
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="KWD",
        rate=Decimal("0.33"),
        rate_date=date(2026, 6, 30),
    )
    _pursuit(rep, plan, strategy, "12.345", currency="KWD")
    _pursuit(rep, plan, strategy, "1234.56", currency="EUR")
    client.force_login(rep)

    # when
    detail = client.get(f"/plans/{plan.pk}/").content.decode()
    listed = client.get("/plans/").content.decode()

    # then 12.345 + 407.4048 is kept to the fils everywhere it is shown
    assert "419.750 KWD</strong>" in detail
    assert "% of pipeline (419.750 KWD)" in detail
    assert '<span data-show="amount" data-format="amount">12.345</span>' in detail
    assert '<span data-show="amount" data-format="amount">1,234.56</span>' in detail
    assert "Open pipeline (KWD)" in listed
    assert '<td class="num">419.750</td>' in listed
