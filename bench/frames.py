"""Turn a generated CSV folder into the scoring engine's input frames.

The same mapping as the importer's: won deals become revenue per account,
product and quarter of the close date; `subsidiary_of` gives parent ids.
Ids are row numbers from 1, as a fresh database would assign them.
"""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Frames:
    accounts: pd.DataFrame
    revenue: pd.DataFrame
    products: pd.DataFrame


def frames_from_folder(*, folder: Path) -> Frames:
    """Read accounts, products and won deals into engine-shaped frames."""
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

    pipeline = pd.read_csv(
        folder / "sales_pipeline.csv",
        usecols=["product", "account", "deal_stage", "close_date", "close_value"],
    )
    won = pipeline[pipeline["deal_stage"] == "Won"]
    quarter = pd.to_datetime(won["close_date"]).dt.to_period("Q").dt.start_time
    revenue = (
        pd.DataFrame(
            {
                "account_id": won["account"].map(ids),
                "product_id": won["product"].map(product_ids),
                "quarter_start": quarter,
                "amount": won["close_value"].astype(float),
            }
        )
        .groupby(["account_id", "product_id", "quarter_start"], as_index=False)[
            "amount"
        ]
        .sum()
    )
    return Frames(accounts=accounts, revenue=revenue, products=products)
