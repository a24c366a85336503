"""Move scoring data between the database and DataFrames, set-based.

On PostgreSQL loading is one `COPY (SELECT ...) TO STDOUT` per large table,
parsed straight into columns, and saving is one binary `COPY` of the scores
into a new table of the run's own, which gets its indexes once filled and
is then attached as the run's partition of the scores (migration 0008).
Each account's breakdown is stored as one array of numbers (AccountScore's
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
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Field

from accounts.currency_codes import ANNUAL_REVENUE_CURRENCY, minor_digits
from accounts.models import (
    Account,
    CurrencyRate,
    Product,
    RevenueLine,
    RevenueQuarter,
    SupportSignal,
)
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
# Rows per bulk_create batch on SQLite. On PostgreSQL one COPY takes the
# whole run unless a batch size is given.
SAVE_BATCH_SIZE = 50_000
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
    # Account-quarters whose won-deal lines were set aside, since invoices
    # cover them (RevenueLineQuerySet).
    revenue_set_aside: int = 0


def _frame(rows: Iterable[Any], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def _uses_copy() -> bool:
    return connection.vendor == "postgresql"


def scoring_frames_load(
    *, reporting_currency: str = REPORTING_CURRENCY
) -> ScoringFrames:
    """Return what a run scores from, one statement per table.

    Accounts, revenue lines (with their currency), the catalogue, the
    stored rates into `reporting_currency` and the support signals.
    """
    # A placeholder product is no whitespace: it leaves the catalogue here.
    products = _frame(
        Product.objects.catalogue().order_by("pk").values_list("pk"), ["product_id"]
    )
    rates = _frame(
        CurrencyRate.objects.filter(reporting_currency=reporting_currency)
        .order_by("currency", "rate_date")
        .values_list("currency", "rate_date", "rate"),
        RATE_COLUMNS,
    )
    rates["rate"] = pd.to_numeric(rates["rate"]).astype(float)
    rates["rate_date"] = pd.to_datetime(rates["rate_date"])
    if _uses_copy():
        accounts = _accounts_copy_out()
        revenue, set_aside = _counted_revenue(
            _revenue_copy_out(reporting_currency=reporting_currency)
        )
        return ScoringFrames(
            accounts=accounts,
            revenue=revenue,
            products=products,
            rates=rates,
            signals=_signals_copy_out(),
            revenue_set_aside=set_aside,
        )

    accounts = _frame(
        (
            (pk, name, sector, _millions(amount, currency, rate), employees, parent_id)
            for pk, name, sector, amount, currency, rate, employees, parent_id in (
                Account.objects.order_by("pk").values_list(
                    "pk",
                    "name",
                    "sector",
                    "annual_revenue",
                    "annual_revenue_currency",
                    "annual_revenue_rate",
                    "employees",
                    "parent_id",
                )
            )
        ),
        ACCOUNT_COLUMNS,
    )
    # The lines come summed per quarter and source, as the database keeps
    # them (RevenueQuarter); won deals that invoices cover are marked here.
    revenue = _frame(
        RevenueQuarter.objects.order_by().values_list(
            "account_id",
            "product_id",
            "quarter_start",
            "amount",
            "currency",
            "source",
        ),
        [*REVENUE_COLUMNS, "source"],
    )
    revenue["quarter_start"] = pd.to_datetime(revenue["quarter_start"])
    revenue["set_aside"] = _set_aside_mark(
        account_ids=revenue["account_id"].to_numpy(dtype="int64"),
        quarters=revenue["quarter_start"].to_numpy(),
        invoiced=(revenue["source"] == RevenueLine.Source.INVOICE).to_numpy(),
        set_aside=RevenueLine.objects.set_aside_quarters(
            reporting_currency=reporting_currency
        ),
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
    revenue, set_aside = _counted_revenue(revenue)
    revenue["amount"] = pd.to_numeric(revenue["amount"]).astype(float)
    return ScoringFrames(
        accounts=accounts,
        revenue=revenue,
        products=products,
        rates=rates,
        signals=signals,
        revenue_set_aside=set_aside,
    )


def _millions(
    amount: Decimal | None, currency: str, rate: Decimal | None
) -> Decimal | None:
    """Return an annual revenue in millions of USD, as Account gives it.

    A revenue in another currency given while no rate was stored has none:
    the scoring reads it as unknown, never as USD.
    """
    if currency == ANNUAL_REVENUE_CURRENCY:
        rate = Decimal(1)
    if amount is None or rate is None:
        return None
    return amount * rate / Decimal(1_000_000)


def _set_aside_mark(
    *,
    account_ids: np.ndarray,
    quarters: np.ndarray,
    invoiced: np.ndarray,
    set_aside: Collection[tuple[int, date]],
) -> np.ndarray:
    """Mark the won-deal sums of the account-quarters in `set_aside`.

    Which quarters those are is RevenueLineQuerySet's rule alone (it
    depends on the stored rates and on what each import was told), read
    once per run by set_aside_quarters(); here it only marks the sums.
    """
    days = quarters.astype("datetime64[D]").astype("int64")
    # One number per account-quarter: days since 1970 stay below 10**6
    # for any date the import accepts (1990 to 2099).
    keys = account_ids * 1_000_000 + days
    epoch = date(1970, 1, 1)
    wanted = np.fromiter(
        (pk * 1_000_000 + (day - epoch).days for pk, day in set_aside),
        dtype="int64",
        count=len(set_aside),
    )
    return ~invoiced & np.isin(keys, wanted)


def _counted_revenue(rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Split the set-aside sums off; return the rest and their account-quarters."""
    set_aside = rows["set_aside"].astype(bool).to_numpy()
    quarters = rows.loc[set_aside, ["account_id", "quarter_start"]].drop_duplicates()
    counted = rows.loc[~set_aside, REVENUE_COLUMNS].reset_index(drop=True)
    if isinstance(counted["currency"].dtype, pd.CategoricalDtype):
        counted["currency"] = counted["currency"].cat.remove_unused_categories()
    return counted, len(quarters)


def _copy(cursor: CursorWrapper, sql: str, stream: object) -> None:
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
        "COPY (SELECT id, name, sector, (annual_revenue * CASE "
        f"WHEN annual_revenue_currency = '{ANNUAL_REVENUE_CURRENCY}' THEN 1 "
        "ELSE annual_revenue_rate END / 1000000)::float8, "
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
        ("invoiced_length", ">i4"),
        ("invoiced", ">i4"),
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


def _revenue_copy_out(*, reporting_currency: str) -> pd.DataFrame:
    # The sums the database keeps per quarter and source (RevenueQuarter):
    # reading them is a plain scan, where summing the invoice lines here
    # was a GROUP BY over every line at every run.
    table = RevenueQuarter._meta.db_table
    invoice = RevenueLine.Source.INVOICE.value
    data = _copy_out(
        "COPY (SELECT account_id::int8, product_id::int8, "
        "(quarter_start - DATE '1970-01-01')::int4, amount::float8, "
        f"{CURRENCY_CODE_SQL}, (source = '{invoice}')::int4 FROM {table}) "
        "TO STDOUT WITH (FORMAT binary)"
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
    if len(rows) and (rows["fields"] != 6).any():
        raise RuntimeError("Unexpected field count in the revenue COPY stream.")

    days = rows["day"].astype("int64").astype("datetime64[D]")
    codes, positions = np.unique(rows["currency"].astype("int64"), return_inverse=True)
    currency = pd.Categorical.from_codes(
        positions.astype("int32"), [_currency_text(int(code)) for code in codes]
    )
    account_ids = rows["account_id"].astype("int64")
    return pd.DataFrame(
        {
            "account_id": account_ids,
            "product_id": rows["product_id"].astype("int64"),
            "quarter_start": pd.to_datetime(days.astype("datetime64[s]")),
            "amount": rows["amount"].astype(float),
            "currency": currency,
            "set_aside": _set_aside_mark(
                account_ids=account_ids,
                quarters=days,
                invoiced=rows["invoiced"].astype(bool),
                set_aside=RevenueLine.objects.set_aside_quarters(
                    reporting_currency=reporting_currency
                ),
            ),
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
    digits = minor_digits(result.reporting_currency)
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
                    ttm_revenue=Decimal(f"{row.ttm_revenue:.{digits}f}"),
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


# Rows per slice of the save's COPY stream: each slice is encoded only when
# the server asks for more, so the payload is never held whole in memory.
COPY_SLICE_ROWS = 100_000
# A saved run's scores take ids from run_id * 2**32; rows written one by one
# take them from the sequence, capped below 2**32 (migration 0008).
SCORE_IDS_PER_RUN_BITS = 32
# PostgreSQL's type oid for float8, named in every binary array value.
FLOAT8_OID = 701


def score_partition_name(*, run_id: int) -> str:
    """Return the name of the table that holds one run's scores."""
    return f"{AccountScore._meta.db_table}_run_{int(run_id)}"


def score_ids_first(*, run_id: int) -> int:
    """Return the first id of a saved run's scores: each run has 2**32."""
    return int(run_id) << SCORE_IDS_PER_RUN_BITS


def _int8_copy_out(cursor: CursorWrapper, query: str) -> np.ndarray:
    """Return a one-column int8 query's values, read as one binary COPY."""
    buffer = io.BytesIO()
    _copy(cursor, f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", buffer)
    data = buffer.getvalue()
    row = np.dtype([("fields", ">i2"), ("length", ">i4"), ("value", ">i8")])
    body = len(data) - len(COPY_HEADER) - len(COPY_TRAILER)
    if body % row.itemsize:
        raise RuntimeError("Unexpected binary COPY layout for an int8 column.")
    rows = np.frombuffer(
        data, dtype=row, count=body // row.itemsize, offset=len(COPY_HEADER)
    )
    return rows["value"].astype("int64")


TTM_REVENUE_LIMIT = 10**14


def _ttm_revenue_check(scores: pd.DataFrame) -> None:
    """Refuse, before anything is written, a TTM revenue a score cannot hold."""
    values = scores["ttm_revenue"].to_numpy(dtype="float64")
    too_large = ~np.isfinite(values) | (np.abs(values) >= TTM_REVENUE_LIMIT)
    if too_large.any():
        first = int(np.flatnonzero(too_large)[0])
        raise ValueError(
            f"Account {scores.index[first]} has a TTM revenue of "
            f"{values[first]:,.2f}: a score holds at most 14 digits before the "
            f"decimal point. Check that account's revenue lines."
        )


def _numeric_digits(
    values: np.ndarray, *, places: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return amounts as a sign word and five base-10000 digits.

    `places` is the reporting currency's minor digits (0 to 3). Each
    amount is rounded to them half to even on its exact binary value
    (extended precision makes the product by 10**places exact), as
    Python's f"{amount:.{places}f}" rounds it on the other backends.
    """
    if not np.isfinite(values).all():
        raise ValueError("A TTM revenue to save is not a finite number.")
    scale = 10**places
    units = np.rint(values.astype(np.longdouble) * scale).astype("int64")
    magnitude = np.abs(units)
    if len(magnitude) and magnitude.max() >= TTM_REVENUE_LIMIT * scale:
        raise ValueError("A TTM revenue to save has more than 14 digits.")
    whole, fraction = np.divmod(magnitude, scale)
    digits = np.empty((len(values), 5), dtype=">i2")
    for place in range(4):
        digits[:, 3 - place] = (whole // 10_000**place) % 10_000
    # The fraction's one base-10000 digit: 0.345 is 3450.
    digits[:, 4] = fraction * 10 ** (4 - places)
    signs = np.where(units < 0, 0x4000, 0).astype(">u2")
    return signs, digits


def _score_row_dtype(*, breakdown_width: int, texts: tuple[int, int]) -> np.dtype:
    """Return one binary COPY row of a score, fixed-width for its labels.

    Fields in PARTITION_COLUMNS order. The numeric is sent with five
    digits always (PostgreSQL strips the zeros), the breakdown as a
    one-dimensional float8 array, the quadrant and tier as their bytes.
    """
    quadrant, tier = texts
    array: list[tuple] = [("ndim", ">i4"), ("flags", ">i4"), ("oid", ">i4")]
    if breakdown_width:
        element = np.dtype([("length", ">i4"), ("value", ">f8")])
        array += [
            ("size", ">i4"),
            ("lower", ">i4"),
            ("values", element, (breakdown_width,)),
        ]
    fields: list[tuple] = [("fields", ">i2")]
    for name in ("id", "run_id", "account_id", "performance", "potential"):
        kind = ">f8" if name in ("performance", "potential") else ">i8"
        fields += [(f"{name}_length", ">i4"), (name, kind)]
    fields += [
        ("ttm_length", ">i4"),
        ("ttm_ndigits", ">i2"),
        ("ttm_weight", ">i2"),
        ("ttm_sign", ">u2"),
        ("ttm_dscale", ">i2"),
        ("ttm_digits", ">i2", (5,)),
        ("components_length", ">i4"),
        ("components", "S3"),
        ("breakdown_length", ">i4"),
        ("breakdown", np.dtype(array)),
        ("quadrant_length", ">i4"),
        ("quadrant", f"S{quadrant}"),
        ("tier_length", ">i4"),
        ("tier", f"S{tier}"),
    ]
    return np.dtype(fields)


PARTITION_COLUMNS = (
    "id, run_id, account_id, performance, potential, ttm_revenue, components, "
    "breakdown, quadrant, tier"
)


def _score_rows(
    *,
    ids: np.ndarray,
    run_id: int,
    scores: pd.DataFrame,
    breakdown: np.ndarray,
    places: int,
) -> Iterator[bytes]:
    """Yield binary COPY rows of scores, one block per quadrant and tier.

    Text is variable-width, so rows are grouped by their two labels (twelve
    pairs at most) and each group is one fixed-width numpy array, in
    account order within it.
    """
    quadrant_codes, quadrants = pd.factorize(scores["quadrant"].astype(str))
    tier_codes, tiers = pd.factorize(scores["tier"].astype(str))
    groups = quadrant_codes * len(tiers) + tier_codes
    signs, digits = _numeric_digits(
        scores["ttm_revenue"].to_numpy(dtype="float64"), places=places
    )
    width = breakdown.shape[1]
    for group in np.unique(groups):
        quadrant = str(quadrants[group // len(tiers)]).encode()
        tier = str(tiers[group % len(tiers)]).encode()
        members = np.flatnonzero(groups == group)
        rows = np.empty(
            len(members),
            dtype=_score_row_dtype(
                breakdown_width=width, texts=(len(quadrant), len(tier))
            ),
        )
        rows["fields"] = 10
        for name, values in (
            ("id", ids[members]),
            ("run_id", run_id),
            ("account_id", scores.index.to_numpy(dtype="int64")[members]),
            ("performance", scores["performance"].to_numpy(dtype="float64")[members]),
            ("potential", scores["potential"].to_numpy(dtype="float64")[members]),
        ):
            rows[f"{name}_length"] = 8
            rows[name] = values
        rows["ttm_length"] = 8 + 2 * 5
        rows["ttm_ndigits"] = 5
        rows["ttm_weight"] = 3
        rows["ttm_sign"] = signs[members]
        rows["ttm_dscale"] = places
        rows["ttm_digits"] = digits[members]
        # jsonb's binary form: a version byte, then the text.
        rows["components_length"] = 3
        rows["components"] = b"\x01{}"
        array = rows["breakdown"]
        array["ndim"] = 1 if width else 0
        array["flags"] = 0
        array["oid"] = FLOAT8_OID
        if width:
            array["size"] = width
            array["lower"] = 1
            array["values"]["length"] = 8
            array["values"]["value"] = breakdown[members]
        rows["breakdown_length"] = array.dtype.itemsize
        rows["quadrant_length"] = len(quadrant)
        rows["quadrant"] = quadrant
        rows["tier_length"] = len(tier)
        rows["tier"] = tier
        yield rows.tobytes()


class _Chunks:
    """A file whose reads are the blocks of an iterator (psycopg2's COPY)."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self.blocks = blocks

    def read(self, size: int = -1) -> bytes:
        return next(self.blocks, b"")


def _score_stream(
    *,
    ids: np.ndarray,
    run_id: int,
    scores: pd.DataFrame,
    breakdown: np.ndarray,
    places: int,
) -> Iterator[bytes]:
    yield COPY_HEADER
    for start in range(0, len(scores), COPY_SLICE_ROWS):
        stop = start + COPY_SLICE_ROWS
        yield from _score_rows(
            ids=ids[start:stop],
            run_id=run_id,
            scores=scores.iloc[start:stop],
            breakdown=breakdown[start:stop],
            places=places,
        )
    yield COPY_TRAILER


def _score_column(name: str) -> str:
    """Return the table column of one of AccountScore's own fields."""
    field = AccountScore._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"AccountScore.{name} has no column of its own")
    return field.column


def _scores_copy_in(
    *,
    run: ScoreRun,
    result: ScoringResult,
    breakdown: list[np.ndarray],
    batch_size: int | None,
    on_batch_saved: Callable[[int], None] | None,
) -> int:
    table = AccountScore._meta.db_table
    partition = score_partition_name(run_id=run.pk)
    accounts = Account._meta.db_table
    matrix = (
        np.column_stack(breakdown)
        if breakdown
        else np.empty((len(result.scores), 0), dtype="float64")
    )
    saved = 0
    # No savepoint: the caller's transaction is the unit; this only makes sure
    # there is one, for the lock and the new table.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # The scores' foreign keys are not database constraints (checking a
        # million rows one by one at commit took 20 s). The share lock, held
        # to commit, stops any account being deleted from here on, so the
        # accounts read now are the ones a score may name. Account writes
        # wait for the rest of the save; reads do not.
        cursor.execute(f"LOCK TABLE {accounts} IN SHARE MODE")
        existing = _int8_copy_out(cursor, f"SELECT id FROM {accounts}")
        kept = np.isin(result.scores.index.to_numpy(dtype="int64"), existing)
        scores = result.scores[kept]
        matrix = matrix[kept]
        _ttm_revenue_check(scores)
        # Ids of the run's own range, above any the sequence may hand out
        # (migration 0008 caps it there): unique across every partition, with
        # no million nextval() calls (7.7 s at 1M).
        ids = score_ids_first(run_id=run.pk) + np.arange(len(scores), dtype="int64")

        # A table of the run's own, with no index yet: a million rows then
        # go in at COPY speed, and the indexes are built once from sorted
        # keys instead of being updated row by row (30-47 s at 1M accounts).
        # A table of this run's can only be left from a database emptied
        # without dropping tables (a test flush); a run that saved commits
        # and is never executed again.
        cursor.execute(f"DROP TABLE IF EXISTS {partition}")
        cursor.execute(f"CREATE TABLE {partition} (LIKE {table} INCLUDING DEFAULTS)")
        size = batch_size or len(scores) or 1
        for start in range(0, len(scores), size):
            stop = start + size
            _copy(
                cursor,
                f"COPY {partition} ({PARTITION_COLUMNS}) FROM STDIN "
                "WITH (FORMAT binary)",
                _Chunks(
                    _score_stream(
                        ids=ids[start:stop],
                        run_id=run.pk,
                        scores=scores.iloc[start:stop],
                        breakdown=matrix[start:stop],
                        places=minor_digits(result.reporting_currency),
                    )
                ),
            )
            saved = min(stop, len(scores))
            if on_batch_saved is not None:
                on_batch_saved(saved)

        # The same keys and indexes as the partitioned table's (migration
        # 0008), so attaching adopts them rather than building its own. With
        # room to sort a million keys in memory each build is 15 % faster.
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(
            f"ALTER TABLE {partition} ADD PRIMARY KEY (id, run_id), "
            "ADD UNIQUE (run_id, account_id)"
        )
        for index in AccountScore._meta.indexes:
            columns = ", ".join(_score_column(name) for name in index.fields)
            cursor.execute(f"CREATE INDEX ON {partition} ({columns})")
        # Fresh statistics, so the portfolio page's filtered and sorted
        # queries are planned for the run's real size from its first request
        # (before autovacuum gets to it, a filter on a new run was planned
        # as matching one row: 400 ms instead of 8 at 100k accounts).
        # The columns pages filter and sort on; statistics of the breakdown
        # arrays (element frequencies of a million arrays) serve no query.
        cursor.execute(
            f"ANALYZE {partition} (run_id, account_id, performance, potential, "
            "quadrant, tier, ttm_revenue)"
        )
        # Last, since it locks the default partition (rows written one by
        # one) until commit: attaching checks that none of them is this run's.
        cursor.execute(
            f"ALTER TABLE {table} ATTACH PARTITION {partition} "
            f"FOR VALUES IN ({int(run.pk)})"
        )
    return saved
