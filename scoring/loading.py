"""Move scoring data between the database and DataFrames, set-based.

On PostgreSQL loading is one `COPY (SELECT ...) TO STDOUT` per large table,
parsed straight into columns, and saving is one binary `COPY` of the scores
into a temporary staging table, then one `INSERT ... SELECT` from it. Each
account's breakdown is stored as one array of numbers (AccountScore's
breakdown, read through the run's breakdown_layout), not as JSON: parsing
forty-odd numbers per account into JSONB was most of the save.
Elsewhere (SQLite in development and tests) loading is one query per table
and saving is one bulk insert per batch. Neither ever issues a query per
account, so the cost is a handful of statements however large the
portfolio grows.
"""

import contextlib
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet

from accounts.models import Account, CurrencyRate, Product, RevenueLine, SupportSignal
from scoring.computation import (
    REPORTING_CURRENCY,
    ScoringResult,
    ScoringWeights,
    breakdown_columns,
)
from scoring.models import (
    AccountScore,
    ScoreRun,
    ScoringModel,
    score_run_layout_remember,
)

ACCOUNT_COLUMNS = [
    "account_id",
    "name",
    "sector",
    "annual_revenue_musd",
    "employees",
    "parent_id",
]
REVENUE_COLUMNS = ["account_id", "product_id", "quarter_start", "amount", "currency"]
RATE_COLUMNS = ["currency", "rate_date", "rate"]
SIGNAL_COLUMNS = ["account_id", "period_start", "tickets", "satisfaction", "nps"]
# Rows per bulk_create batch on SQLite. On PostgreSQL the INSERT ... SELECT
# takes the whole staging table at once unless a batch size is given.
SAVE_BATCH_SIZE = 50_000
STAGING_TABLE = "scoring_score_staging"
# PostgreSQL's binary COPY framing: signature, flags, header extension.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


@dataclass(frozen=True)
class ScoringFrames:
    accounts: pd.DataFrame
    revenue: pd.DataFrame
    products: pd.DataFrame
    rates: pd.DataFrame
    signals: pd.DataFrame


def _frame(queryset: QuerySet, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(queryset), columns=columns)


def _uses_copy() -> bool:
    return connection.vendor == "postgresql"


def scoring_frames_load(
    *, reporting_currency: str = REPORTING_CURRENCY
) -> ScoringFrames:
    """Return what a run scores from, one statement per table.

    Accounts, revenue lines (with their currency), the catalogue, the
    stored rates into `reporting_currency` and the support signals.
    """
    products = _frame(Product.objects.order_by("pk").values_list("pk"), ["product_id"])
    rates = _frame(
        CurrencyRate.objects.filter(reporting_currency=reporting_currency)
        .order_by("currency", "rate_date")
        .values_list("currency", "rate_date", "rate"),
        RATE_COLUMNS,
    )
    rates["rate"] = pd.to_numeric(rates["rate"]).astype(float)
    rates["rate_date"] = pd.to_datetime(rates["rate_date"])
    if _uses_copy():
        return ScoringFrames(
            accounts=_accounts_copy_out(),
            revenue=_revenue_copy_out(),
            products=products,
            rates=rates,
            signals=_signals_copy_out(),
        )

    accounts = _frame(
        Account.objects.order_by("pk").values_list(
            "pk", "name", "sector", "annual_revenue_musd", "employees", "parent_id"
        ),
        ACCOUNT_COLUMNS,
    )
    revenue = _frame(
        RevenueLine.objects.order_by().values_list(
            "account_id", "product_id", "quarter_start", "amount", "currency"
        ),
        REVENUE_COLUMNS,
    )
    signals = _frame(
        SupportSignal.objects.order_by().values_list(*SIGNAL_COLUMNS),
        SIGNAL_COLUMNS,
    )
    for column in ("tickets", "satisfaction", "nps"):
        signals[column] = pd.to_numeric(signals[column]).astype(float)
    signals["period_start"] = pd.to_datetime(signals["period_start"])

    # The database hands back Decimals; the engine works in floats.
    for column in ("annual_revenue_musd", "employees"):
        accounts[column] = pd.to_numeric(accounts[column]).astype(float)
    accounts["parent_id"] = accounts["parent_id"].astype("Int64")
    revenue["amount"] = pd.to_numeric(revenue["amount"]).astype(float)
    revenue["quarter_start"] = pd.to_datetime(revenue["quarter_start"])
    return ScoringFrames(
        accounts=accounts,
        revenue=revenue,
        products=products,
        rates=rates,
        signals=signals,
    )


def _copy(cursor: CursorWrapper, sql: str, stream: io.BytesIO) -> None:
    # Django logs execute() only; log COPY the same way so query counts and
    # debug tooling see every statement a run sends.
    logged = getattr(cursor, "debug_sql", None)
    with logged(sql) if logged else contextlib.nullcontext():
        cursor.cursor.copy_expert(sql, stream)


def _copy_out(sql: str) -> bytes:
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        _copy(cursor, sql, buffer)
    return buffer.getvalue()


def _accounts_copy_out() -> pd.DataFrame:
    table = Account._meta.db_table
    data = _copy_out(
        "COPY (SELECT id, name, sector, annual_revenue_musd::float8, "
        f"employees::float8, parent_id FROM {table} ORDER BY id) "
        "TO STDOUT WITH (FORMAT csv)"
    )
    # NULL is an unquoted empty field; only the numeric columns have any,
    # so names such as "NA" stay text.
    accounts = pd.read_csv(
        io.BytesIO(data),
        header=None,
        names=ACCOUNT_COLUMNS,
        dtype={"name": str, "sector": str},
        keep_default_na=False,
        na_values={
            column: [""] for column in ("annual_revenue_musd", "employees", "parent_id")
        },
    )
    for column in ("annual_revenue_musd", "employees"):
        accounts[column] = accounts[column].astype(float)
    accounts["account_id"] = accounts["account_id"].astype("int64")
    accounts["parent_id"] = accounts["parent_id"].astype("Int64")
    return accounts


# One binary COPY row of the revenue query: a field count, then each field
# as a length and a big-endian value. No column is nullable, so every row
# has the same width and numpy reads the whole stream as one array.
REVENUE_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("account_length", ">i4"),
        ("account_id", ">i8"),
        ("product_length", ">i4"),
        ("product_id", ">i8"),
        ("day_length", ">i4"),
        ("day", ">i4"),
        ("amount_length", ">i4"),
        ("amount", ">f8"),
        ("currency_length", ">i4"),
        ("currency", ">i8"),
    ]
)
# The currency travels as one number: up to three characters, 21 bits each
# (any code point), so the row stays fixed-width.
CURRENCY_CODE_SQL = " | ".join(
    f"(coalesce(ascii(substr(currency, {place}, 1)), 0)::int8 << {shift})"
    for place, shift in ((1, 42), (2, 21), (3, 0))
)


def _currency_text(code: int) -> str:
    characters = [(code >> shift) & 0x1FFFFF for shift in (42, 21, 0)]
    return "".join(chr(character) for character in characters if character)


def _revenue_copy_out() -> pd.DataFrame:
    table = RevenueLine._meta.db_table
    data = _copy_out(
        "COPY (SELECT account_id::int8, product_id::int8, "
        "(quarter_start - DATE '1970-01-01')::int4, amount::float8, "
        f"{CURRENCY_CODE_SQL} FROM {table}) TO STDOUT WITH (FORMAT binary)"
    )
    body = len(data) - len(COPY_HEADER) - len(COPY_TRAILER)
    if (
        not data.startswith(COPY_HEADER)
        or body % REVENUE_ROW.itemsize
        or not data.endswith(COPY_TRAILER)
    ):
        raise RuntimeError("Unexpected binary COPY layout for revenue lines.")

    rows = np.frombuffer(
        data,
        dtype=REVENUE_ROW,
        count=body // REVENUE_ROW.itemsize,
        offset=len(COPY_HEADER),
    )
    if len(rows) and (rows["fields"] != 5).any():
        raise RuntimeError("Unexpected field count in the revenue COPY stream.")

    days = rows["day"].astype("int64").astype("datetime64[D]")
    codes, positions = np.unique(rows["currency"].astype("int64"), return_inverse=True)
    currency = pd.Categorical.from_codes(
        positions.astype("int32"), [_currency_text(int(code)) for code in codes]
    )
    return pd.DataFrame(
        {
            "account_id": rows["account_id"].astype("int64"),
            "product_id": rows["product_id"].astype("int64"),
            "quarter_start": pd.to_datetime(days.astype("datetime64[s]")),
            "amount": rows["amount"].astype(float),
            "currency": currency,
        }
    )


# One binary COPY row of the signals query: blanks arrive as NaN, so every
# row has the same width, as for revenue lines.
SIGNAL_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("account_length", ">i4"),
        ("account_id", ">i8"),
        ("day_length", ">i4"),
        ("day", ">i4"),
        ("tickets_length", ">i4"),
        ("tickets", ">f8"),
        ("satisfaction_length", ">i4"),
        ("satisfaction", ">f8"),
        ("nps_length", ">i4"),
        ("nps", ">f8"),
    ]
)


def _signals_copy_out() -> pd.DataFrame:
    table = SupportSignal._meta.db_table
    data = _copy_out(
        "COPY (SELECT account_id::int8, (period_start - DATE '1970-01-01')::int4, "
        "coalesce(tickets::float8, 'NaN'), coalesce(satisfaction::float8, 'NaN'), "
        f"coalesce(nps::float8, 'NaN') FROM {table}) TO STDOUT WITH (FORMAT binary)"
    )
    body = len(data) - len(COPY_HEADER) - len(COPY_TRAILER)
    if (
        not data.startswith(COPY_HEADER)
        or body % SIGNAL_ROW.itemsize
        or not data.endswith(COPY_TRAILER)
    ):
        raise RuntimeError("Unexpected binary COPY layout for support signals.")

    rows = np.frombuffer(
        data,
        dtype=SIGNAL_ROW,
        count=body // SIGNAL_ROW.itemsize,
        offset=len(COPY_HEADER),
    )
    if len(rows) and (rows["fields"] != 5).any():
        raise RuntimeError("Unexpected field count in the signals COPY stream.")

    # Microseconds, the unit pandas gives dates read from text.
    days = rows["day"].astype("int64").astype("datetime64[D]")
    return pd.DataFrame(
        {
            "account_id": rows["account_id"].astype("int64"),
            "period_start": pd.to_datetime(days.astype("datetime64[us]")),
            "tickets": rows["tickets"].astype("float64"),
            "satisfaction": rows["satisfaction"].astype("float64"),
            "nps": rows["nps"].astype("float64"),
        }
    )


def scoring_weights_from_model(*, model: ScoringModel) -> ScoringWeights:
    """Return the stored scoring model as the engine's plain numbers."""
    return ScoringWeights(
        weight_ttm_revenue=float(model.weight_ttm_revenue),
        weight_growth=float(model.weight_growth),
        weight_breadth=float(model.weight_breadth),
        weight_wallet_headroom=float(model.weight_wallet_headroom),
        weight_product_whitespace=float(model.weight_product_whitespace),
        weight_subsidiary_whitespace=float(model.weight_subsidiary_whitespace),
        weight_capacity=float(model.weight_capacity),
        performance_threshold=float(model.performance_threshold),
        potential_threshold=float(model.potential_threshold),
        tier_a_share=float(model.tier_a_share),
        tier_b_share=float(model.tier_b_share),
        min_peer_group=model.min_peer_group,
        weight_relationship_health=float(model.weight_relationship_health),
        reporting_currency=model.reporting_currency,
    )


def account_scores_save(
    *,
    run: ScoreRun,
    result: ScoringResult,
    batch_size: int | None = None,
    on_batch_saved: Callable[[int], None] | None = None,
) -> int:
    """Write one AccountScore per row of the engine's output; return the count.

    Each score's breakdown is one row of numbers; the run keeps the layout
    that names them (ScoreRun.breakdown_layout). A score is written only
    for an account that still exists. `on_batch_saved` is called with the
    number of rows written so far after every batch; the run service uses
    it as a seam for progress and faults.
    """
    layout, columns = breakdown_columns(result)
    run.breakdown_layout = layout
    run.save(update_fields=["breakdown_layout", "updated_at"])
    score_run_layout_remember(run=run)
    if _uses_copy():
        return _scores_copy_in(
            run=run,
            result=result,
            breakdown=columns,
            batch_size=batch_size,
            on_batch_saved=on_batch_saved,
        )

    scores = result.scores
    matrix = np.column_stack(columns) if columns else np.empty((len(scores), 0))
    batch_size = batch_size or SAVE_BATCH_SIZE
    saved = 0
    for start in range(0, len(scores), batch_size):
        batch = scores.iloc[start : start + batch_size]
        breakdowns = matrix[start : start + batch_size].tolist()
        AccountScore.objects.bulk_create(
            [
                AccountScore(
                    run=run,
                    account_id=int(account_id),
                    performance=float(row.performance),
                    potential=float(row.potential),
                    quadrant=row.quadrant,
                    tier=row.tier,
                    ttm_revenue=Decimal(f"{row.ttm_revenue:.2f}"),
                    breakdown=breakdown,
                )
                for account_id, row, breakdown in zip(
                    batch.index, batch.itertuples(index=False), breakdowns, strict=True
                )
            ],
            batch_size=batch_size,
        )
        saved += len(batch)
        if on_batch_saved is not None:
            on_batch_saved(saved)
    return saved


def _binary_copy_rows(columns: list[tuple[str, np.ndarray]]) -> bytes:
    """Return a binary COPY stream of fixed-width, non-null columns."""
    count = len(columns[0][1])
    layout: list[tuple[str, str]] = [("fields", ">i2")]
    for name, values in columns:
        layout += [(f"{name}_length", ">i4"), (name, f">{values.dtype.kind}8")]
    rows = np.empty(count, dtype=np.dtype(layout))
    rows["fields"] = len(columns)
    for name, values in columns:
        rows[f"{name}_length"] = 8
        rows[name] = values
    return COPY_HEADER + rows.tobytes() + COPY_TRAILER


def _scores_copy_in(
    *,
    run: ScoreRun,
    result: ScoringResult,
    breakdown: list[np.ndarray],
    batch_size: int | None,
    on_batch_saved: Callable[[int], None] | None,
) -> int:
    scores = result.scores
    quadrant_codes, quadrants = pd.factorize(scores["quadrant"])
    tier_codes, tiers = pd.factorize(scores["tier"])

    # Labels travel as 1-based codes into small arrays passed as parameters,
    # so every COPY field is a fixed-width number (NaN is a float8 value).
    columns: list[tuple[str, np.ndarray]] = [
        ("position", np.arange(len(scores), dtype="int64")),
        ("account_id", scores.index.to_numpy(dtype="int64")),
        ("performance", scores["performance"].to_numpy(dtype="float64")),
        ("potential", scores["potential"].to_numpy(dtype="float64")),
        ("quadrant", quadrant_codes.astype("int64") + 1),
        ("tier", tier_codes.astype("int64") + 1),
        ("ttm_revenue", scores["ttm_revenue"].to_numpy(dtype="float64")),
        *[(f"b{index}", values) for index, values in enumerate(breakdown)],
    ]
    definition = ", ".join(
        f"{name} {'int8' if values.dtype.kind == 'i' else 'float8'}"
        for name, values in columns
    )
    payload = _binary_copy_rows(columns)
    array = ", ".join(f"s.b{index}" for index in range(len(breakdown)))
    accounts = Account._meta.db_table
    insert = (
        f"INSERT INTO {AccountScore._meta.db_table} (run_id, account_id, "
        "performance, potential, quadrant, tier, ttm_revenue, components, "
        "breakdown) "
        "SELECT %(run)s, s.account_id, s.performance, s.potential, "
        "(%(quadrants)s::text[])[s.quadrant], (%(tiers)s::text[])[s.tier], "
        f"round(s.ttm_revenue::numeric, 2), '{{}}'::jsonb, "
        f"ARRAY[{array}]::float8[] "
        f"FROM {STAGING_TABLE} s JOIN {accounts} a ON a.id = s.account_id"
    )
    # In account order, (run, account) keys append at the index's end.
    order = " ORDER BY s.account_id"
    parameters = {
        "run": run.pk,
        "quadrants": list(quadrants),
        "tiers": list(tiers),
    }
    saved = 0
    # No savepoint: the caller's transaction is the unit; this only makes sure
    # there is one, for ON COMMIT DROP and the lock.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING_TABLE} ({definition}) ON COMMIT DROP"
        )
        _copy(
            cursor,
            f"COPY {STAGING_TABLE} FROM STDIN WITH (FORMAT binary)",
            io.BytesIO(payload),
        )
        # The scores' foreign keys are not database constraints (checking a
        # million rows one by one at commit took 20 s): the join keeps out
        # accounts deleted since loading, and the share lock, held to commit,
        # stops any being deleted before the scores are in. Account writes
        # wait for the rest of the save; reads do not.
        cursor.execute(f"LOCK TABLE {accounts} IN SHARE MODE")
        size = batch_size or len(scores) or 1
        for start in range(0, len(scores), size):
            stop = min(start + size, len(scores))
            window = (
                ""
                if size >= len(scores)
                else f" WHERE s.position >= {start} AND s.position < {stop}"
            )
            cursor.execute(insert + window + order, parameters)
            saved += cursor.rowcount
            if on_batch_saved is not None:
                on_batch_saved(saved)
        # Fresh statistics, so the portfolio page's filtered and sorted
        # queries are planned for the run's real size from its first request
        # (before autovacuum gets to it, a filter on a new run was planned
        # as matching one row: 400 ms instead of 8 at 100k accounts).
        # The columns pages filter and sort on; statistics of the breakdown
        # arrays (element frequencies of a million arrays) serve no query.
        cursor.execute(
            f"ANALYZE {AccountScore._meta.db_table} (run_id, account_id, "
            "performance, potential, quadrant, tier, ttm_revenue)"
        )
    return saved
