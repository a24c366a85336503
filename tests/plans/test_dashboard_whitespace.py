"""Whitespace counts a cell as bought only while its net revenue is positive."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Account, Product, RevenueLine, User
from accounts.selectors import whitespace_bought_since
from plans.calendar import fiscal_quarter_current
from plans.dashboard import dashboard_for_user
from plans.services import plan_create
from plans.snapshots import snapshot_capture
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _line(account: Account, product: Product, quarter_start: date, amount: str) -> None:
    RevenueLine.objects.create(
        account=account,
        product=product,
        quarter_start=quarter_start,
        amount=Decimal(amount),
    )


@pytest.fixture
def products(account: Account) -> dict[str, Product]:
    """Core is bought, Credit only ever credited, Refund bought then refunded."""
    named = {
        name: ProductFactory.create(name=name) for name in ("Core", "Credit", "Refund")
    }
    this = fiscal_quarter_current()
    earlier = this.shifted(-3)
    _line(account, named["Core"], earlier.start, "500")
    _line(account, named["Credit"], earlier.start, "-120.50")
    _line(account, named["Refund"], earlier.start, "300")
    _line(account, named["Refund"], this.previous.start, "-300")
    return named


def test_only_a_positive_net_revenue_buys_a_cell(
    account: Account, products: dict[str, Product]
) -> None:
    since = whitespace_bought_since(account_ids=[account.pk])

    assert since == {
        (account.pk, products["Core"].pk): fiscal_quarter_current().shifted(-3).start
    }


def test_a_credit_only_line_leaves_the_dashboard_cell_open(
    manager: User, account: Account, products: dict[str, Product]
) -> None:
    this = fiscal_quarter_current()
    dashboard = dashboard_for_user(user=manager)

    # Three products at one account: only Core is bought, two cells stay open.
    current = dashboard.figures[f"whitespace.open.{this.slug}"]
    assert (current.count, current.account_ids) == (2, {account.pk})
    # Before anything was sold, all three were open.
    before = dashboard.figures[f"whitespace.open.{this.shifted(-3).slug}"]
    assert before.count == 3


def test_the_snapshot_calls_a_credited_product_open(
    rep: User, account: Account, products: dict[str, Product]
) -> None:
    plan = plan_create(user=rep, account=account)

    cells = snapshot_capture(plan=plan)["whitespace"]

    assert {cell["name"]: cell["state"] for cell in cells.values()} == {
        "Core": "bought",
        "Credit": "open",
        "Refund": "open",
    }


def test_past_quarters_count_whitespace_from_the_revenue_known_now(
    client: object, manager: User, account: Account, products: dict[str, Product]
) -> None:
    # given: Credit was open two quarters ago, as far as anyone knew
    this = fiscal_quarter_current()
    past = this.shifted(-2)
    before = dashboard_for_user(user=manager).figures[f"whitespace.open.{past.slug}"]

    # when: an import brings an older sale of Credit
    _line(account, products["Credit"], this.shifted(-3).start, "900")

    # then: the past quarter is counted again from the revenue known now,
    # and the page says so
    after = dashboard_for_user(user=manager).figures[f"whitespace.open.{past.slug}"]
    assert (before.count, after.count) == (2, 1)
    client.force_login(manager)  # type: ignore[attr-defined]
    page = client.get("/plans/dashboard/").content.decode()  # type: ignore[attr-defined]
    assert WHITESPACE_RULE in page


WHITESPACE_RULE = (
    "Open cells in every quarter, past ones too, are counted from the revenue "
    "Lode holds now: an import of older revenue changes past quarters."
)
