"""The dashboard's whitespace, counted by the database, against the old rule.

Which cells are bought is decided by running sums of each cell's quarter
totals. The database now computes them by window (whitespace_bought_sql)
and counts the owned cells per quarter itself; here the same figures are
worked out the previous way, in Python, one account and product at a time,
on cells that sit on the rule's edges: a refund back to zero, a sale after
a zero, a credit only, cents that sum to zero in floats only roughly, a
pursuit won before the first sale, a placeholder product and an account
that owns every product.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Account, Product, RevenueLine, User
from accounts.selectors import _bought_since, whitespace_bought_since
from plans.calendar import FiscalQuarter, fiscal_quarter_current, local_date
from plans.dashboard import dashboard_for_user
from plans.models import Pursuit
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.plans.factories import PlanFactory

pytestmark = pytest.mark.django_db


def _quarter(shift: int) -> FiscalQuarter:
    return fiscal_quarter_current().shifted(shift)


def _line(account: Account, product: Product, shift: int, amount: str) -> None:
    RevenueLine.objects.create(
        account=account,
        product=product,
        quarter_start=_quarter(shift).start,
        amount=Decimal(amount),
    )


def _pursuit(
    account: Account, product: Product, outcome: str, closed_on: date | None
) -> None:
    plan = account.plans.first() or PlanFactory.create(account=account)
    Pursuit.objects.create(
        plan=plan,
        product=product,
        name=f"{account.name} {product.name}",
        outcome=outcome,
        closed_on=closed_on,
    )


@pytest.fixture
def cells(db: None) -> dict[str, Any]:
    products = {
        name: ProductFactory.create(name=name) for name in ("Core", "Addon", "Service")
    }
    legacy = ProductFactory.create(name="Legacy", is_placeholder=True)
    accounts = {
        name: AccountFactory.create(name=name)
        for name in ("Acme", "Beta", "Gamma", "Delta", "Epsilon")
    }
    acme, beta, gamma, delta, epsilon = accounts.values()
    core, addon, service = products.values()

    _line(acme, core, -3, "500")
    _line(acme, addon, -3, "-120.50")  # a credit only
    _line(acme, service, -3, "300")
    _line(acme, service, -1, "-300")  # refunded whole
    _line(beta, core, -4, "100")
    _line(beta, core, -3, "-100")  # back to zero, then bought again
    _line(beta, core, -2, "50")
    for amount in ("0.10", "0.20"):  # two lines of one quarter
        _line(beta, addon, -2, amount)
        _line(beta, service, -2, amount)
    _line(beta, addon, -1, "-0.30")  # zero, though not in floats
    _line(beta, service, -1, "-0.29")  # a cent left
    _line(gamma, core, -5, "-50")
    _line(gamma, core, -4, "80")
    _line(gamma, legacy, -4, "1000")  # no catalogue product
    for product in products.values():
        _line(epsilon, product, -6, "10")

    won, lost, open_ = (
        Pursuit.Outcome.WON,
        Pursuit.Outcome.LOST,
        Pursuit.Outcome.OPEN,
    )
    _pursuit(acme, addon, won, _quarter(-2).start + timedelta(days=10))
    _pursuit(beta, addon, open_, None)
    _pursuit(gamma, core, won, _quarter(-5).start + timedelta(days=3))
    _pursuit(delta, service, lost, _quarter(-1).start + timedelta(days=5))
    _pursuit(delta, core, won, fiscal_quarter_current().start + timedelta(days=1))
    return {"accounts": accounts, "products": products, "legacy": legacy}


def _bought_the_old_way(account_ids: list[int]) -> dict[tuple[int, int], date]:
    """The previous whitespace_bought_since: quarter totals, summed in Python."""
    from django.db.models import Sum

    rows = (
        RevenueLine.objects.filter(account_id__in=account_ids)
        .values("account_id", "product_id", "quarter_start")
        .annotate(total=Sum("amount"))
        .order_by("account_id", "product_id", "quarter_start")
    )
    return _bought_since(rows)


def _whitespace_the_old_way(
    accounts: list[Account], bought: dict[tuple[int, int], date]
) -> dict[str, tuple[int, set[str]]]:
    """Count open, pursued and won cells one account and product at a time."""
    catalogue = list(Product.objects.catalogue())
    pursuits = list(Pursuit.objects.select_related("plan"))
    owned = dict(bought)
    for pursuit in pursuits:
        cell = (pursuit.plan.account_id, pursuit.product_id)
        if pursuit.outcome == Pursuit.Outcome.WON and pursuit.closed_on:
            owned[cell] = min(owned.get(cell, pursuit.closed_on), pursuit.closed_on)
    names = {account.pk: account.name for account in accounts}
    figures: dict[str, tuple[int, set[str]]] = {}
    for quarter in dashboard_quarters():

        def is_open(cell: tuple[int, int], start: date = quarter.start) -> bool:
            return cell not in owned or owned[cell] >= start

        open_cells = [
            (account.pk, product.pk)
            for account in accounts
            for product in catalogue
            if is_open((account.pk, product.pk))
        ]
        pursued, won = set(), set()
        for pursuit in pursuits:
            cell = (pursuit.plan.account_id, pursuit.product_id)
            if not is_open(cell):
                continue
            if local_date(pursuit.created_at) <= quarter.end and not (
                pursuit.closed_on and pursuit.closed_on < quarter.start
            ):
                pursued.add(cell)
            if pursuit.outcome == Pursuit.Outcome.WON and (
                pursuit.closed_on and quarter.contains(pursuit.closed_on)
            ):
                won.add(cell)
        for name, found in (("open", open_cells), ("pursued", pursued), ("won", won)):
            figures[f"whitespace.{name}.{quarter.slug}"] = (
                len(found),
                {names[cell[0]] for cell in found},
            )
    return figures


def dashboard_quarters() -> list[FiscalQuarter]:
    from plans.calendar import fiscal_quarters_ending_with
    from plans.dashboard import QUARTERS_SHOWN

    return fiscal_quarters_ending_with(fiscal_quarter_current(), QUARTERS_SHOWN)


def test_the_database_buys_the_cells_the_running_sums_in_python_bought(
    cells: dict[str, Any],
) -> None:
    ids = [account.pk for account in cells["accounts"].values()]

    bought = whitespace_bought_since(account_ids=ids)

    assert bought == _bought_the_old_way(ids)
    acme, beta, gamma, _, epsilon = cells["accounts"].values()
    core, addon, service = cells["products"].values()
    legacy = cells["legacy"]
    assert bought == {
        (acme.pk, core.pk): _quarter(-3).start,
        (beta.pk, core.pk): _quarter(-2).start,
        (beta.pk, service.pk): _quarter(-2).start,
        (gamma.pk, core.pk): _quarter(-4).start,
        (gamma.pk, legacy.pk): _quarter(-4).start,
        (epsilon.pk, core.pk): _quarter(-6).start,
        (epsilon.pk, addon.pk): _quarter(-6).start,
        (epsilon.pk, service.pk): _quarter(-6).start,
    }
    # a subquery of accounts reads the same cells as their ids
    assert whitespace_bought_since(account_ids=Account.objects.all()) == bought
    assert whitespace_bought_since(account_ids=[]) == {}


def test_the_dashboards_whitespace_equals_counting_each_cell_the_old_way(
    cells: dict[str, Any], ops: User
) -> None:
    # given
    accounts = list(Account.objects.order_by("name"))
    by_hand = _whitespace_the_old_way(
        accounts, _bought_the_old_way([account.pk for account in accounts])
    )

    # when
    dashboard = dashboard_for_user(user=ops)

    # then: every quarter's open, pursued and won cells
    names = {account.pk: account.name for account in accounts}
    shown = {
        key: (figure.count, {names[pk] for pk in figure.account_ids})
        for key, figure in dashboard.figures.items()
        if key.startswith("whitespace.")
    }
    assert shown == by_hand
    # and by name, this quarter: of 15 catalogue cells Acme owns Core and
    # Addon (won), Beta Core and Service, Gamma Core, Epsilon all three;
    # Delta's win of this quarter is after its start
    this = fiscal_quarter_current().slug
    assert shown[f"whitespace.open.{this}"] == (
        7,
        {"Acme", "Beta", "Gamma", "Delta"},
    )
    assert shown[f"whitespace.pursued.{this}"] == (2, {"Beta", "Delta"})
    assert shown[f"whitespace.won.{this}"] == (1, {"Delta"})


def test_no_account_in_scope_has_no_bought_cell() -> None:
    # given: a scope that the database is never asked, as it matches nothing
    nothing = Account.objects.filter(pk__in=[]).values("pk")

    # then
    assert whitespace_bought_since(account_ids=nothing) == {}
    assert whitespace_bought_since(account_ids=[]) == {}


def test_a_rep_without_accounts_sees_an_empty_whitespace(rep: User) -> None:
    # when: the rep's scope is empty, so every subquery over it is too
    dashboard = dashboard_for_user(user=rep)

    # then
    whitespace = {
        key: figure.count
        for key, figure in dashboard.figures.items()
        if key.startswith("whitespace.")
    }
    assert whitespace
    assert set(whitespace.values()) == {0}
