"""A placeholder product ("Unspecified") is never a whitespace cell."""

from decimal import Decimal

import pytest

from accounts.models import Account, Product, RevenueLine, User
from plans.calendar import fiscal_quarter_current
from plans.dashboard import dashboard_for_user
from plans.selectors import plan_detail
from plans.services import plan_create
from plans.snapshots import snapshot_capture
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(account: Account) -> dict[str, Product]:
    """Core is bought; Spare is not; Unspecified holds revenue of no product."""
    named = {
        "Core": ProductFactory.create(name="Core"),
        "Spare": ProductFactory.create(name="Spare"),
        "Unspecified": ProductFactory.create(name="Unspecified", is_placeholder=True),
    }
    earlier = fiscal_quarter_current().shifted(-3).start
    for name, amount in (("Core", "500"), ("Unspecified", "700")):
        RevenueLine.objects.create(
            account=account,
            product=named[name],
            quarter_start=earlier,
            amount=Decimal(amount),
        )
    return named


def test_the_dashboard_counts_no_cell_for_a_placeholder(
    manager: User, account: Account, products: dict[str, Product]
) -> None:
    this = fiscal_quarter_current()

    dashboard = dashboard_for_user(user=manager)

    # Core is bought and Spare is open; Unspecified is no cell at all.
    current = dashboard.figures[f"whitespace.open.{this.slug}"]
    assert (current.count, current.account_ids) == (1, {account.pk})
    before = dashboard.figures[f"whitespace.open.{this.shifted(-3).slug}"]
    assert before.count == 2


def test_the_snapshot_and_the_plan_leave_a_placeholder_out(
    rep: User, account: Account, products: dict[str, Product]
) -> None:
    plan = plan_create(user=rep, account=account)

    cells = snapshot_capture(plan=plan)["whitespace"]
    offered = plan_detail(plan=plan, user=rep)["products"]

    assert {cell["name"]: cell["state"] for cell in cells.values()} == {
        "Core": "bought",
        "Spare": "open",
    }
    assert sorted(product.name for product in offered) == ["Core", "Spare"]
