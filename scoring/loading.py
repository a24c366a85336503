"""Move scoring data between the database and DataFrames, set-based.

Loading reads each table with one query; saving writes scores in large
bulk batches. Neither ever issues a query per account, so the cost is a
handful of statements however large the portfolio grows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import QuerySet

from accounts.models import Account, Product, RevenueLine
from scoring.computation import ScoringWeights
from scoring.models import AccountScore, ScoreRun, ScoringModel

ACCOUNT_COLUMNS = [
    "account_id",
    "name",
    "sector",
    "annual_revenue_musd",
    "employees",
    "parent_id",
]
REVENUE_COLUMNS = ["account_id", "product_id", "quarter_start", "amount"]
SAVE_BATCH_SIZE = 5000


@dataclass(frozen=True)
class ScoringFrames:
    accounts: pd.DataFrame
    revenue: pd.DataFrame
    products: pd.DataFrame


def _frame(queryset: QuerySet, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(queryset), columns=columns)


def scoring_frames_load() -> ScoringFrames:
    """Return accounts, revenue lines and the catalogue: one query each."""
    accounts = _frame(
        Account.objects.order_by("pk").values_list(
            "pk", "name", "sector", "annual_revenue_musd", "employees", "parent_id"
        ),
        ACCOUNT_COLUMNS,
    )
    revenue = _frame(
        RevenueLine.objects.order_by().values_list(
            "account_id", "product_id", "quarter_start", "amount"
        ),
        REVENUE_COLUMNS,
    )
    products = _frame(Product.objects.order_by("pk").values_list("pk"), ["product_id"])

    # The database hands back Decimals; the engine works in floats.
    for column in ("annual_revenue_musd", "employees"):
        accounts[column] = pd.to_numeric(accounts[column]).astype(float)
    accounts["parent_id"] = accounts["parent_id"].astype("Int64")
    revenue["amount"] = pd.to_numeric(revenue["amount"]).astype(float)
    revenue["quarter_start"] = pd.to_datetime(revenue["quarter_start"])
    return ScoringFrames(accounts=accounts, revenue=revenue, products=products)


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
    )


def account_scores_save(
    *,
    run: ScoreRun,
    scores: pd.DataFrame,
    batch_size: int = SAVE_BATCH_SIZE,
    on_batch_saved: Callable[[int], None] | None = None,
) -> int:
    """Write one AccountScore per row of the engine's output; return the count.

    `on_batch_saved` is called with the number of rows written so far after
    every batch; the run service uses it as a seam for progress and faults.
    """
    saved = 0
    for start in range(0, len(scores), batch_size):
        batch = scores.iloc[start : start + batch_size]
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
                    components=row.components,
                )
                for account_id, row in zip(
                    batch.index, batch.itertuples(index=False), strict=True
                )
            ],
            batch_size=batch_size,
        )
        saved += len(batch)
        if on_batch_saved is not None:
            on_batch_saved(saved)
    return saved
