import pytest

from accounts.models import Account, User
from plans.models import Plan, Pursuit, Strategy
from plans.services import plan_create, pursuit_create, strategy_create
from tests.accounts.factories import ProductFactory
from tests.plans.factories import gated_template


@pytest.fixture
def plan(rep: User, account: Account) -> Plan:
    return plan_create(user=rep, account=account, fiscal_year=2026)


@pytest.fixture
def strategy(rep: User, plan: Plan) -> Strategy:
    return strategy_create(
        user=rep,
        plan=plan,
        values={"title": "Grow in Asia", "kind": "strategy", "description": "Asia."},
    )


@pytest.fixture
def pursuit(rep: User, plan: Plan, strategy: Strategy) -> Pursuit:
    return pursuit_create(
        user=rep,
        plan=plan,
        template=gated_template(),
        values={
            "name": "Asia rollout",
            "product": ProductFactory.create(name="GTX Pro"),
            "strategy": strategy,
            "amount": 50000,
        },
    )
