"""Every kind of write to revenue lines keeps the quarter sums right.

RevenueQuarter is kept by database triggers; after each kind of write the
stored sums must equal a fresh GROUP BY over the lines.
"""

import logging
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Sum

from accounts.models import Account, ImportJob, Product, RevenueLine, RevenueQuarter
from accounts.revenue_quarters import (
    revenue_quarters_ensure,
    revenue_quarters_uninstall,
)
from accounts.services import BUNDLED_DATA, maven_import_directory
from accounts.wizard import mapped_import_undo
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.accounts.test_import import SMALL, write_export
from tests.accounts.test_revenue_lines import WIZARD, imported

KEY = ["account_id", "product_id", "quarter_start", "currency", "source"]


def fresh_sums() -> list[tuple]:
    return sorted(
        RevenueLine.objects.order_by()
        .values(*KEY)
        .annotate(total=Sum("amount"), count=Count("pk"))
        .values_list(*KEY, "total", "count")
    )


def kept_sums() -> list[tuple]:
    return sorted(RevenueQuarter.objects.values_list(*KEY, "amount", "lines"))


def won(account_id: int, product_id: int, quarter: date, amount: Decimal) -> tuple:
    return (account_id, product_id, quarter, "USD", "pipeline", amount, 1)


def assert_sums_match() -> None:
    assert kept_sums() == fresh_sums()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
def test_single_and_bulk_writes_keep_the_sums() -> None:
    # given
    account = AccountFactory.create(name="Harbor")
    other = AccountFactory.create(name="Quay")
    pro = ProductFactory.create(name="GTX Pro")
    q1, q2 = date(2026, 1, 1), date(2026, 4, 1)

    # when a line is created, then another of the same key
    first = RevenueLine.objects.create(
        account=account, product=pro, quarter_start=q1, amount=Decimal("100.25")
    )
    RevenueLine.objects.create(
        account=account, product=pro, quarter_start=q1, amount=Decimal("50.00")
    )

    # then
    assert kept_sums() == [
        (account.pk, pro.pk, q1, "USD", "invoice", Decimal("150.25"), 2)
    ]
    assert_sums_match()

    # when one line moves to another quarter and changes its amount
    first.quarter_start = q2
    first.amount = Decimal("80.00")
    first.save()

    # then
    assert kept_sums() == [
        (account.pk, pro.pk, q1, "USD", "invoice", Decimal("50.00"), 1),
        (account.pk, pro.pk, q2, "USD", "invoice", Decimal("80.00"), 1),
    ]

    # when many lines are written at once, and changed by one UPDATE
    RevenueLine.objects.bulk_create(
        RevenueLine(
            account=other,
            product=pro,
            quarter_start=q1,
            amount=Decimal(amount),
            source=RevenueLine.Source.PIPELINE,
        )
        for amount in ("10.10", "20.20", "-5.05")
    )
    assert_sums_match()
    RevenueLine.objects.filter(account=other).update(currency="EUR")
    RevenueLine.objects.bulk_update([first], ["currency"])

    # then
    assert kept_sums() == [
        (account.pk, pro.pk, q1, "USD", "invoice", Decimal("50.00"), 1),
        (account.pk, pro.pk, q2, "USD", "invoice", Decimal("80.00"), 1),
        (other.pk, pro.pk, q1, "EUR", "pipeline", Decimal("25.25"), 3),
    ]
    assert_sums_match()

    # when a line is deleted, and an account with its lines
    first.delete()
    other.delete()

    # then the emptied keys are gone
    assert kept_sums() == [
        (account.pk, pro.pk, q1, "USD", "invoice", Decimal("50.00"), 1)
    ]
    assert_sums_match()


@pytest.mark.django_db
def test_a_line_moved_to_another_account_moves_its_sum() -> None:
    # given
    keep = AccountFactory.create(name="Harbor")
    duplicate = AccountFactory.create(name="HARBOR Inc")
    pro = ProductFactory.create(name="GTX Pro")
    for account in (keep, duplicate):
        RevenueLine.objects.create(
            account=account,
            product=pro,
            quarter_start=date(2026, 1, 1),
            amount=Decimal("70.00"),
        )

    # when the duplicate's lines are merged into the kept account
    RevenueLine.objects.filter(account=duplicate).update(account=keep)

    # then
    assert kept_sums() == [
        (keep.pk, pro.pk, date(2026, 1, 1), "USD", "invoice", Decimal("140.00"), 2)
    ]


@pytest.mark.django_db
def test_the_bundled_import_and_its_rewrites_keep_the_sums(tmp_path: Path) -> None:
    # given the small export imported
    first = maven_import_directory(directory=write_export(tmp_path / "a"))
    assert first.status == ImportJob.Status.SUCCEEDED, first.error
    assert len(kept_sums()) == 2
    assert_sums_match()

    # when a won deal is lost, another changes its value, and a third is
    # added in a new quarter
    pipeline = [
        line.replace(
            "OPP2,Anna Snelling,GTXPro,Bluth Company,Won",
            "OPP2,Moses Frase,GTXPro,Bluth Company,Lost",
        ).replace("2017-03-20,520", "2017-03-20,620")
        for line in SMALL["sales_pipeline.csv"]
    ] + ["OPP6,Moses Frase,GTX Pro,Betatech,Won,2017-05-01,2017-08-02,900"]
    second = maven_import_directory(
        directory=write_export(tmp_path / "b", **{"sales_pipeline.csv": pipeline})
    )

    # then
    assert second.status == ImportJob.Status.SUCCEEDED, second.error
    acme = Account.objects.get(name="Acme Corporation")
    betatech = Account.objects.get(name="Betatech")
    basic = Product.objects.get(name="GTX Basic")
    pro = Product.objects.get(name="GTX Pro")
    assert kept_sums() == sorted(
        [
            won(acme.pk, basic.pk, date(2017, 1, 1), Decimal("1120.00")),
            won(betatech.pk, pro.pk, date(2017, 7, 1), Decimal("900.00")),
        ]
    )
    assert_sums_match()


@pytest.mark.django_db
def test_the_bundled_data_set_keeps_the_sums() -> None:
    job = maven_import_directory(directory=BUNDLED_DATA)

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert RevenueQuarter.objects.count() == len(fresh_sums()) > 100
    assert_sums_match()


@pytest.mark.django_db
def test_wizard_imports_and_their_undo_keep_the_sums(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    AccountFactory.create(name="Brightwater Foods")

    # when extracts are imported, amended and undone
    imported(django_capture_on_commit_callbacks, WIZARD / "erp_invoices.csv")
    assert_sums_match()
    amended = imported(
        django_capture_on_commit_callbacks, WIZARD / "erp_invoices_amended.csv"
    )
    assert_sums_match()
    overlap = imported(django_capture_on_commit_callbacks, WIZARD / "erp_q1.csv")
    assert_sums_match()
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=overlap.mapped, user=None)
    assert_sums_match()
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=amended.mapped, user=None)

    # then the sums are the first extract's
    brightwater = Account.objects.get(name="Brightwater Foods")
    pro = Product.objects.get(name="GTX Pro")
    assert kept_sums() == [
        (
            brightwater.pk,
            pro.pk,
            date(2026, 1, 1),
            "USD",
            "invoice",
            Decimal("1250.00"),
            2,
        )
    ]
    assert_sums_match()


@pytest.mark.django_db
def test_won_deals_of_the_wizard_keep_the_sums(
    django_capture_on_commit_callbacks,
) -> None:
    imported(django_capture_on_commit_callbacks, WIZARD / "sf_report_accounts_try.csv")
    imported(django_capture_on_commit_callbacks, WIZARD / "sf_opps_mixed_currency.csv")

    assert [row[3:] for row in kept_sums()] == [
        ("CHF", "pipeline", Decimal("5000.00"), 1),
        ("EUR", "pipeline", Decimal("10000.00"), 1),
        ("SEK", "pipeline", Decimal("100000.00"), 1),
    ]
    assert_sums_match()


@pytest.mark.django_db(transaction=True)
def test_lines_stored_before_the_migration_are_summed_by_it() -> None:
    # given lines written before the quarter sums existed
    before = [("accounts", "0013_revenue_line_import_key")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = MigrationExecutor(connection).loader.project_state(before).apps
    account = old.get_model("accounts", "Account").objects.create(name="Harbor")
    product = old.get_model("accounts", "Product").objects.create(name="GTX Pro")
    lines = old.get_model("accounts", "RevenueLine").objects
    for amount, key in (("10.00", "a"), ("32.50", "b")):
        lines.create(
            account=account,
            product=product,
            quarter_start=date(2026, 1, 1),
            amount=Decimal(amount),
            import_key=key,
        )

    # when
    summing = [("accounts", "0014_revenue_quarter")]
    MigrationExecutor(connection).migrate(summing)
    summed = MigrationExecutor(connection).loader.project_state(summing).apps

    # then
    quarters = summed.get_model("accounts", "RevenueQuarter").objects
    assert sorted(quarters.values_list(*KEY, "amount", "lines")) == [
        (account.pk, product.pk, date(2026, 1, 1), "USD", "invoice", Decimal("42.5"), 2)
    ]

    # when: on to the latest migration, whose table rebuilds on SQLite drop
    # the triggers that migrate's post_migrate puts back
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    revenue_quarters_ensure(connection=connection)

    # then
    RevenueLine.objects.filter(import_key="a").delete()
    assert kept_sums() == [
        (account.pk, product.pk, date(2026, 1, 1), "USD", "invoice", Decimal("32.5"), 1)
    ]


@pytest.mark.django_db
def test_triggers_a_table_rebuild_dropped_are_put_back_with_the_sums(
    caplog,
) -> None:
    # given lines written while the triggers were gone, as after SQLite
    # rebuilds the table in a migration
    line = RevenueLine.objects.create(
        account=AccountFactory.create(),
        product=ProductFactory.create(),
        quarter_start=date(2026, 1, 1),
        amount=Decimal("5.00"),
    )
    revenue_quarters_uninstall(connection=connection)
    RevenueLine.objects.filter(pk=line.pk).update(amount=Decimal("7.00"))
    assert kept_sums() != fresh_sums()

    # when
    with caplog.at_level(logging.INFO, logger="accounts.revenue_quarters"):
        repaired = revenue_quarters_ensure(connection=connection)

    # then
    assert repaired is True
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "Revenue quarter triggers were missing; rebuilding the sums")
    ]
    assert_sums_match()
    assert revenue_quarters_ensure(connection=connection) is False
    line.delete()
    assert kept_sums() == []


def test_the_bench_rows_and_a_truncate_keep_the_sums(
    postgres: None, tmp_path: Path
) -> None:
    # The bench rows are COPYed, which only PostgreSQL does.
    from bench.frames import frames_from_folder, frames_with_currencies_and_signals
    from bench.generate import Spec, generate
    from bench.run_data import bench_rows_load

    # given
    spec = Spec(accounts=40, lines=400)
    generate(spec=spec, root=tmp_path)
    frames = frames_with_currencies_and_signals(
        frames=frames_from_folder(folder=tmp_path / spec.folder_name())
    )

    # when
    bench_rows_load(frames=frames)

    # then: several invoice lines a quarter sum, and the sums the frames'
    assert frames.lines is not None
    assert RevenueLine.objects.count() == len(frames.lines) > len(frames.revenue)
    assert RevenueQuarter.objects.count() == len(fresh_sums()) == len(frames.revenue)
    assert_sums_match()
    expected = sorted(
        (row.account_id, row.product_id, row.quarter_start.date(), row.currency)
        + (Decimal(f"{row.amount:.2f}"),)
        for row in frames.revenue.itertuples()
    )
    kept = [
        (account, product, quarter, currency, amount)
        for account, product, quarter, currency, _source, amount, _lines in kept_sums()
    ]
    assert kept == expected
    with connection.cursor() as cursor:
        # The COPYed rows' deferred key checks must run before a TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {RevenueLine._meta.db_table}")
    assert kept_sums() == []


@pytest.mark.django_db
def test_triggers_missing_from_a_table_with_no_lines_are_no_warning(caplog) -> None:
    # As after the migrations of a new database, which rebuild the table.
    revenue_quarters_uninstall(connection=connection)

    with caplog.at_level(logging.INFO, logger="accounts.revenue_quarters"):
        repaired = revenue_quarters_ensure(connection=connection)

    assert repaired is True
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "Revenue quarter triggers were missing; rebuilding the sums")
    ]
    assert revenue_quarters_ensure(connection=connection) is False
