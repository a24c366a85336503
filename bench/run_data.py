"""Put a generated data set into the bench database fast, for the score run.

The import benchmark measures the importer; the score run benchmark only
needs the rows to be there. At 1M accounts the importer would dominate the
run by far, so this writes the engine's input frames (bench/frames.py)
straight into the account tables with PostgreSQL COPY, ids as the frames
number them, with the frames' currencies, rates and support signals when
they have them (bench.frames.frames_with_currencies_and_signals).
"""

import io
from datetime import UTC, datetime

import pandas as pd
from django.db import connection, transaction

from accounts.models import (
    Account,
    CurrencyRate,
    Product,
    RevenueLine,
    SupportSignal,
)
from accounts.services import copy_text
from bench.frames import Frames


def _copy_in(table: str, frame: pd.DataFrame) -> None:
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN",
            io.StringIO(copy_text(frame)),
        )


def bench_rows_load(*, frames: Frames) -> None:
    """Write accounts, products, revenue lines, rates and signals."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The score run benchmark at scale needs PostgreSQL.")

    now = datetime.now(tz=UTC).isoformat()
    accounts = frames.accounts
    with transaction.atomic():
        _copy_in(
            Product._meta.db_table,
            pd.DataFrame(
                {
                    "id": frames.products["product_id"],
                    "name": [f"Product {pk}" for pk in frames.products["product_id"]],
                }
            ).assign(**_product_defaults(), created_at=now, updated_at=now),
        )
        _copy_in(
            Account._meta.db_table,
            pd.DataFrame(
                {
                    "id": accounts["account_id"],
                    "name": accounts["name"],
                    "external_id": "",
                    "sector": accounts["sector"].fillna(""),
                    "annual_revenue_musd": accounts["annual_revenue_musd"],
                    "employees": accounts["employees"].astype("Int64"),
                    "country": "",
                    "custom_values": "{}",
                    "parent_id": accounts["parent_id"],
                    "created_at": now,
                    "updated_at": now,
                }
            ),
        )
        revenue = frames.revenue
        _copy_in(
            RevenueLine._meta.db_table,
            pd.DataFrame(
                {
                    "account_id": revenue["account_id"],
                    "product_id": revenue["product_id"],
                    "quarter_start": revenue["quarter_start"].dt.strftime("%Y-%m-%d"),
                    "amount": revenue["amount"].round(2),
                    "currency": (
                        revenue["currency"] if "currency" in revenue.columns else "USD"
                    ),
                    "source": RevenueLine._meta.get_field("source").default,
                    "created_at": now,
                    "updated_at": now,
                }
            ),
        )
        if frames.rates is not None and len(frames.rates):
            _copy_in(
                CurrencyRate._meta.db_table,
                pd.DataFrame(
                    {
                        "currency": frames.rates["currency"],
                        "reporting_currency": "USD",
                        "rate": frames.rates["rate"],
                        "rate_date": pd.to_datetime(
                            frames.rates["rate_date"]
                        ).dt.strftime("%Y-%m-%d"),
                        "created_at": now,
                    }
                ),
            )
        if frames.signals is not None and len(frames.signals):
            signals = frames.signals
            _copy_in(
                SupportSignal._meta.db_table,
                pd.DataFrame(
                    {
                        "account_id": signals["account_id"],
                        "period_start": pd.to_datetime(
                            signals["period_start"]
                        ).dt.strftime("%Y-%m-%d"),
                        "tickets": signals["tickets"].astype("Int64"),
                        "satisfaction": signals["satisfaction"],
                        "nps": signals["nps"].astype("Int64"),
                        "created_at": now,
                        "updated_at": now,
                    }
                ),
            )
        with connection.cursor() as cursor:
            for model in (Account, Product):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            for analysed in (Account, RevenueLine, SupportSignal):
                cursor.execute(f"ANALYZE {analysed._meta.db_table}")


def _product_defaults() -> dict[str, object]:
    # Whatever else the catalogue requires, filled as a fresh product would be.
    defaults: dict[str, object] = {}
    for field in Product._meta.concrete_fields:
        # Concrete fields always have a column; the check says so to mypy.
        column = field.column
        if column is None or field.name in {"id", "name", "created_at", "updated_at"}:
            continue
        if field.has_default():
            defaults[column] = field.get_default()
        elif field.null:
            defaults[column] = None
        else:
            defaults[column] = ""
    return defaults
