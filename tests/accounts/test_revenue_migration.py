"""Lines stored as quarter sums survive the move to keyed invoice lines."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum

BEFORE = [("accounts", "0012_account_alias")]
AFTER = [("accounts", "0013_revenue_line_import_key")]


def migrated(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_stored_lines_keep_their_sums_and_get_their_quarter_keys() -> None:
    # given lines written before the migration, one per account, product
    # and quarter, and the wizard's placeholder product
    old = migrated(BEFORE).loader.project_state(BEFORE).apps
    account = old.get_model("accounts", "Account").objects.create(name="Harbor")
    products = old.get_model("accounts", "Product").objects
    pro = products.create(name="GTX Pro")
    unspecified = products.create(name="Unspecified")
    lines = old.get_model("accounts", "RevenueLine").objects
    for product, quarter, amount, source in (
        (pro, date(2026, 1, 1), "1500.00", "invoice"),
        (pro, date(2026, 4, 1), "-200.50", "invoice"),
        (unspecified, date(2026, 1, 1), "300.00", "pipeline"),
    ):
        lines.create(
            account=account,
            product=product,
            quarter_start=quarter,
            amount=Decimal(amount),
            currency="USD",
            source=source,
        )

    # when
    new = migrated(AFTER).loader.project_state(AFTER).apps

    # then
    RevenueLine = new.get_model("accounts", "RevenueLine")
    assert list(
        RevenueLine.objects.values("quarter_start")
        .annotate(total=Sum("amount"))
        .order_by("quarter_start")
        .values_list("quarter_start", "total")
    ) == [
        (date(2026, 1, 1), Decimal("1800.00")),
        (date(2026, 4, 1), Decimal("-200.50")),
    ]
    assert list(
        RevenueLine.objects.order_by("pk").values_list(
            "import_key", "booked_on", "amount"
        )
    ) == [
        (f"quarter:{account.pk}:{pro.pk}:2026-01-01", None, Decimal("1500.00")),
        (f"quarter:{account.pk}:{pro.pk}:2026-04-01", None, Decimal("-200.50")),
        (f"won:{account.pk}:{unspecified.pk}:2026-01-01", None, Decimal("300.00")),
    ]
    Product = new.get_model("accounts", "Product")
    assert list(
        Product.objects.order_by("name").values_list("name", "is_placeholder")
    ) == [("GTX Pro", False), ("Unspecified", True)]

    # back to the latest state for the tests after this one
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
