"""Outcome figures follow one rule on the plans list and the dashboard."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Account, User
from plans.calendar import fiscal_quarter_current
from plans.dashboard import dashboard_for_user
from plans.models import Plan, Pursuit
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.plans.factories import PlanFactory

pytestmark = pytest.mark.django_db


def _pursuit(plan: Plan, outcome: str, closed_on: date | None, amount: str) -> Pursuit:
    return Pursuit.objects.create(
        plan=plan,
        product=ProductFactory.create(),
        name=f"{outcome} {closed_on}",
        amount=Decimal(amount),
        outcome=outcome,
        closed_on=closed_on,
    )


@pytest.fixture
def outcomes(rep: User) -> Account:
    quarter = fiscal_quarter_current()
    account = AccountFactory.create(name="Acme")
    account.team_members.add(rep)
    year = quarter.start.year
    prior = PlanFactory.create(
        account=account, fiscal_year=year - 1, status=Plan.Status.CLOSED
    )
    current = PlanFactory.create(account=account, fiscal_year=year)
    # Won this quarter on last year's plan, closed since.
    _pursuit(prior, Pursuit.Outcome.WON, quarter.start, "1000")
    # Won two years ago on this year's plan: before the quarters shown.
    _pursuit(current, Pursuit.Outcome.WON, quarter.start - timedelta(days=800), "50")
    _pursuit(current, Pursuit.Outcome.LOST, quarter.previous.start, "300")
    _pursuit(current, Pursuit.Outcome.NO_DECISION, quarter.end, "20")
    _pursuit(current, Pursuit.Outcome.OPEN, None, "700")
    return account


def test_the_plans_list_counts_outcomes_as_the_dashboard_does(
    client: Client, manager: User, outcomes: Account
) -> None:
    # given
    client.force_login(manager)

    # when
    page = client.get("/plans/")
    dashboard = dashboard_for_user(user=manager)

    # then
    listed = page.context["outcomes"]
    shown = {
        outcome: sum(item[outcome].count for item in dashboard.quarter_rows)
        for outcome in ("won", "lost", "no_decision")
    }
    assert shown == {"won": 1, "lost": 1, "no_decision": 1}
    assert {key: listed[key].count for key in shown} == shown
    assert listed["won"].amount == Decimal("1000")
    assert listed["open"].amount == Decimal("700")
    row = page.context["rows"][0]
    assert [row["outcomes"][key].count for key in shown] == [1, 1, 1]
    first, last = dashboard.quarters[0], dashboard.quarters[-1]
    assert page.context["outcome_period"] == f"{first.label} to {last.label}"
    assert (
        f"Closed {first.label} to {last.label}, on every plan of your accounts "
        "(closed plans too), as on the dashboard: Won 1 (1,000.00)"
    ) in page.content.decode()


def test_the_balance_api_gives_the_same_outcomes(
    client: Client, manager: User, outcomes: Account
) -> None:
    client.force_login(manager)

    body = client.get("/api/plans/balance/").json()

    assert {key: value["count"] for key, value in body["outcomes"].items()} == {
        "open": 1,
        "won": 1,
        "lost": 1,
        "no_decision": 1,
    }
    assert body["outcomes"]["won"]["amount"] == 1000.0
    quarter = fiscal_quarter_current()
    assert body["outcome_period"] == (f"{quarter.shifted(-3).label} to {quarter.label}")
