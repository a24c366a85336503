"""Turn a generated CSV folder into the scoring engine's input frames.

Revenue comes from the invoice lines (the won deals billed in instalments
within their closing quarter), summed per account, product and quarter as
the database keeps them, so the sums are the won deals' sums, as the
importer makes them from the pipeline; `subsidiary_of` gives parent ids.
Ids are row numbers from 1, as a fresh database would assign them.
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

# Currencies the bench gives some revenue lines, with a quarterly rate to
# USD from this date on; NOK gets no rate, so its lines are left out.
FOREIGN_CURRENCIES = {"EUR": 1.1, "SEK": 0.095, "NOK": None}
RATES_FROM = "2015-10-01"


@dataclass(frozen=True)
class Frames:
    accounts: pd.DataFrame
    revenue: pd.DataFrame
    products: pd.DataFrame
    rates: pd.DataFrame | None = None
    signals: pd.DataFrame | None = None
    # The invoice lines behind `revenue`: account_id, product_id,
    # quarter_start, booked_on, amount, and `cell`, the row of `revenue`
    # each adds to.
    lines: pd.DataFrame | None = None


def frames_with_currencies_and_signals(
    *, frames: Frames, seed: int = 7, foreign_share: float = 0.1
) -> Frames:
    """Return the frames with some lines in other currencies, and signals.

    Seeded. About `foreign_share` of the quarter sums move to EUR, SEK or
    NOK (amounts unchanged, as if invoiced there), each with all its invoice
    lines, so the sums the database keeps are the frame's; EUR and SEK get one rate
    per quarter, NOK none. About 60 % of the accounts get support signals
    for the last four quarters of the data, each value sometimes blank.
    """
    generator = np.random.default_rng(seed)
    revenue = frames.revenue.copy()
    codes = np.array(["USD", *FOREIGN_CURRENCIES], dtype=object)
    draw = generator.random(len(revenue))
    pick = np.minimum(
        (draw / foreign_share * len(FOREIGN_CURRENCIES)).astype(int) + 1,
        len(codes) - 1,
    )
    revenue["currency"] = np.where(draw < foreign_share, codes[pick], "USD")
    lines = frames.lines
    if lines is not None:
        lines = lines.assign(
            currency=revenue["currency"].to_numpy()[lines["cell"].to_numpy()]
        )

    quarters = pd.date_range(RATES_FROM, revenue["quarter_start"].max(), freq="QS")
    rates = pd.DataFrame(
        [
            {
                "currency": currency,
                "rate_date": quarter,
                "rate": round(base * (1 + 0.02 * ((index % 5) - 2)), 6),
            }
            for currency, base in FOREIGN_CURRENCIES.items()
            if base is not None
            for index, quarter in enumerate(quarters)
        ]
    )

    ids = frames.accounts["account_id"].to_numpy()
    chosen = ids[generator.random(len(ids)) < 0.6]
    periods = quarters[-4:]
    count = len(chosen) * len(periods)
    signals = pd.DataFrame(
        {
            "account_id": np.repeat(chosen, len(periods)),
            "period_start": np.tile(periods.to_numpy(), len(chosen)),
            "tickets": generator.integers(0, 40, count).astype(float),
            "satisfaction": generator.integers(40, 101, count).astype(float),
            "nps": generator.integers(-100, 101, count).astype(float),
        }
    )
    for column in ("tickets", "satisfaction", "nps"):
        signals.loc[generator.random(count) < 0.15, column] = np.nan
    return replace(frames, revenue=revenue, rates=rates, signals=signals, lines=lines)


def frames_from_folder(*, folder: Path) -> Frames:
    """Read accounts, products and invoice lines into engine-shaped frames."""
    raw_accounts = pd.read_csv(folder / "accounts.csv", dtype={"subsidiary_of": str})
    ids = pd.Series(range(1, len(raw_accounts) + 1), index=raw_accounts["account"])
    accounts = pd.DataFrame(
        {
            "account_id": ids.to_numpy(),
            "name": raw_accounts["account"],
            "sector": raw_accounts["sector"],
            "annual_revenue_musd": raw_accounts["revenue"],
            "employees": raw_accounts["employees"],
            "parent_id": raw_accounts["subsidiary_of"].map(ids).astype("Int64"),
        }
    )

    raw_products = pd.read_csv(folder / "products.csv")
    product_ids = pd.Series(
        range(1, len(raw_products) + 1), index=raw_products["product"]
    )
    products = pd.DataFrame({"product_id": product_ids.to_numpy()})

    invoices = pd.read_csv(
        folder / "invoice_lines.csv",
        usecols=["account_name", "product", "date", "amount"],
        dtype={"account_name": "category", "product": "category"},
    )
    booked = pd.to_datetime(invoices["date"], format="%Y-%m-%d")
    lines = pd.DataFrame(
        {
            "account_id": _codes_to_ids(invoices["account_name"], ids),
            "product_id": _codes_to_ids(invoices["product"], product_ids),
            "quarter_start": booked.dt.to_period("Q").dt.start_time,
            "booked_on": booked,
            # Cents, so the sums are exact whatever the order of adding.
            "cents": np.round(invoices["amount"].to_numpy() * 100).astype(np.int64),
        }
    )
    del invoices
    grouped = lines.groupby(["account_id", "product_id", "quarter_start"], sort=True)
    lines["cell"] = grouped.ngroup().to_numpy()
    revenue = grouped["cents"].sum().reset_index()
    revenue["amount"] = revenue.pop("cents") / 100
    lines["amount"] = lines.pop("cents") / 100
    return Frames(accounts=accounts, revenue=revenue, products=products, lines=lines)


def _codes_to_ids(names: pd.Series, ids: pd.Series) -> np.ndarray:
    # Map each distinct name once, then spread by the categorical codes.
    return ids.reindex(names.cat.categories).to_numpy()[names.cat.codes.to_numpy()]
