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

import numpy as np
import pandas as pd
from django.db import connection, transaction

from accounts.matching import account_name_caseless
from accounts.models import (
    Account,
    CurrencyRate,
    Product,
    RevenueLine,
    RevenueQuarter,
    SupportSignal,
)
from accounts.services import copy_text
from bench.frames import Frames

# Rows a COPY statement: each one's triggers add its lines to the quarter
# sums, and its text stays a few hundred MB at most.
COPY_CHUNK_ROWS = 2_000_000


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
                    "name_key": accounts["name"].map(account_name_caseless),
                    "external_id": "",
                    "sector": accounts["sector"].fillna(""),
                    # The engine's millions of USD, stored as whole USD.
                    "annual_revenue": (
                        accounts["annual_revenue_musd"] * 1_000_000
                    ).round(2),
                    "annual_revenue_currency": accounts["annual_revenue_musd"]
                    .notna()
                    .map({True: "USD", False: ""}),
                    "employees": accounts["employees"].astype("Int64"),
                    "country": "",
                    "custom_values": "{}",
                    "parent_id": accounts["parent_id"],
                    "created_at": now,
                    "updated_at": now,
                }
            ),
        )
        _revenue_copy_in(frames=frames, now=now)
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
            for analysed in (Account, RevenueLine, RevenueQuarter, SupportSignal):
                cursor.execute(f"ANALYZE {analysed._meta.db_table}")


def _revenue_copy_in(*, frames: Frames, now: str) -> None:
    # The invoice lines when the frames have them (the quarter sums the
    # database then keeps are the frames' revenue), else one line a sum.
    revenue = frames.revenue if frames.lines is None else frames.lines
    if "cell" in revenue.columns:
        revenue = revenue.sort_values("cell", kind="stable")
    for start in range(0, len(revenue), COPY_CHUNK_ROWS):
        chunk = revenue.iloc[start : start + COPY_CHUNK_ROWS]

        # Categories, so the COPY text escapes each distinct value once.
        def repeated(value: str, rows: int = len(chunk)) -> pd.Categorical:
            return pd.Categorical.from_codes(np.zeros(rows, dtype=np.int8), [value])

        columns = {
            "account_id": chunk["account_id"].to_numpy(),
            "product_id": chunk["product_id"].to_numpy(),
            "quarter_start": chunk["quarter_start"].to_numpy(),
            "amount": chunk["amount"].round(2).to_numpy(),
            "currency": (
                pd.Categorical(chunk["currency"])
                if "currency" in chunk.columns
                else repeated("USD")
            ),
            "source": repeated(RevenueLine._meta.get_field("source").default),
            "created_at": repeated(now),
            "updated_at": repeated(now),
        }
        if "booked_on" in chunk.columns:
            columns["booked_on"] = chunk["booked_on"].to_numpy()
        _copy_in(RevenueLine._meta.db_table, pd.DataFrame(columns))


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
