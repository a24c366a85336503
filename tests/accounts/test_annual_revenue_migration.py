"""Migration 0035 keeps every stored revenue as the exact amount it meant."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0034_opportunity_creation_digest")]
AFTER = [("accounts", "0035_account_annual_revenue_exact")]


def migrated(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_stored_millions_become_exact_amounts_and_conversions_stay() -> None:
    # given
    old = migrated(BEFORE).loader.project_state(BEFORE).apps
    Account = old.get_model("accounts", "Account")
    Account.objects.create(name="Whole", annual_revenue_musd=Decimal("1242.32"))
    Account.objects.create(name="Zero", annual_revenue_musd=Decimal("0.00"))
    Account.objects.create(name="Blank", annual_revenue_musd=None)
    Account.objects.create(
        name="Converted",
        annual_revenue_musd=Decimal("13.50"),
        annual_revenue_source=Decimal("12500000.00"),
        annual_revenue_currency="EUR",
        annual_revenue_rate=Decimal("1.08"),
        annual_revenue_rate_date=date(2026, 3, 31),
    )
    # Converted, then the millions changed by hand: the millions win.
    Account.objects.create(
        name="Edited",
        annual_revenue_musd=Decimal("20.00"),
        annual_revenue_source=Decimal("12500000.00"),
        annual_revenue_currency="EUR",
        annual_revenue_rate=Decimal("1.08"),
        annual_revenue_rate_date=date(2026, 3, 31),
    )

    # when
    new = migrated(AFTER).loader.project_state(AFTER).apps

    # then
    stored = new.get_model("accounts", "Account").objects.order_by("name")
    assert list(
        stored.values_list(
            "name",
            "annual_revenue",
            "annual_revenue_currency",
            "annual_revenue_rate",
            "annual_revenue_rate_date",
        )
    ) == [
        ("Blank", None, "", None, None),
        (
            "Converted",
            Decimal("12500000.00"),
            "EUR",
            Decimal("1.08"),
            date(2026, 3, 31),
        ),
        ("Edited", Decimal("20000000.00"), "USD", None, None),
        ("Whole", Decimal("1242320000.00"), "USD", None, None),
        ("Zero", Decimal("0.00"), "USD", None, None),
    ]
    migrated(MigrationExecutor(connection).loader.graph.leaf_nodes())
