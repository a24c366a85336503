"""The scoring baseline: the documented method as one plain pandas script.

It takes the engine's input frames (see scoring/computation.py) and a plain
dict of model numbers, and returns the same score columns, written the
obvious way with no reuse of the engine's code. The scoring benchmark times
both on the same frames in the same process; a test checks the frames are
exactly equal, so a faster engine can never drift from the method.

Only the per-account explanation (the engine's "components" column) is left
out: it is presentation, and the benchmark reports its cost separately.
"""

from typing import Any

import numpy as np
import pandas as pd

SCORE_COLUMNS = [
    "performance",
    "potential",
    "quadrant",
    "tier",
    "ttm_revenue",
    "size_band",
    "peer_group",
]


def percentile(values: pd.Series) -> pd.Series:
    values = values.astype(float).fillna(0.0)
    if len(values) <= 1:
        return pd.Series(50.0, index=values.index)
    return 100.0 * (values.rank(method="average") - 1.0) / (len(values) - 1)


def amount(values: pd.Series) -> pd.Series:
    # An amount of 0 earns 0; a positive one 100 * mid-rank / n.
    values = values.astype(float).fillna(0.0)
    score = 100.0 * values.rank(method="average") / len(values)
    return score.where(values > 0, 0.0)


def baseline_scores(
    *,
    accounts: pd.DataFrame,
    revenue: pd.DataFrame,
    products: pd.DataFrame,
    model: dict[str, Any],
) -> pd.DataFrame:
    """Return performance, potential, quadrant and tier for every account."""
    ids = pd.Index(accounts["account_id"], name="account_id")
    n = len(ids)
    out = pd.DataFrame(index=ids)
    sector = accounts["sector"].fillna("").astype(str).str.strip().str.lower()
    out["sector"] = sector.to_numpy()
    for column, source in [
        ("company_revenue", "annual_revenue_musd"),
        ("employees", "employees"),
    ]:
        raw = pd.to_numeric(accounts[source], errors="coerce").astype(float)
        out[column] = raw.clip(lower=0).fillna(0.0).to_numpy()
    out["parent_id"] = accounts["parent_id"].to_numpy()

    # Size band: terciles of known company revenue.
    known = out.loc[out["company_revenue"] > 0, "company_revenue"]
    pct = known.rank(method="average", pct=True)
    out["size_band"] = "unknown"
    out.loc[pct.index, "size_band"] = np.where(
        pct <= 1 / 3, "small", np.where(pct <= 2 / 3, "mid", "large")
    )

    # Trailing twelve months, ending at the latest quarter's last day.
    lines = revenue[["account_id", "product_id", "quarter_start", "amount"]].copy()
    lines["quarter_start"] = pd.to_datetime(lines["quarter_start"])
    lines["amount"] = pd.to_numeric(lines["amount"]).astype(float).fillna(0.0)
    lines = lines[lines["account_id"].isin(ids)]
    catalogue = pd.Index(products["product_id"].unique())
    if lines.empty:
        for column in ["ttm_revenue", "prior_revenue", "breadth", "whitespace"]:
            out[column] = 0.0
    else:
        end = pd.Timestamp(lines["quarter_start"].max()).to_period("Q").end_time
        end = pd.Timestamp(end.date())
        start = end - pd.DateOffset(years=1)
        before = start - pd.DateOffset(years=1)
        quarter = lines["quarter_start"]
        ttm = lines[(quarter > start) & (quarter <= end)]
        prior = lines[(quarter > before) & (quarter <= start)]
        out["ttm_revenue"] = ttm.groupby("account_id")["amount"].sum()
        out["prior_revenue"] = prior.groupby("account_id")["amount"].sum()
        out[["ttm_revenue", "prior_revenue"]] = out[
            ["ttm_revenue", "prior_revenue"]
        ].fillna(0.0)

        pairs = ttm[ttm["product_id"].isin(catalogue)]
        pairs = pairs.groupby(["account_id", "product_id"])["amount"].sum()
        pairs = pairs[pairs > 0].reset_index()
        owned = pairs.groupby("account_id")["product_id"].nunique()
        out["breadth"] = owned.reindex(ids, fill_value=0) / len(catalogue)
        adoption = pairs.groupby("product_id")["account_id"].nunique() / n
        adoption = adoption.reindex(catalogue, fill_value=0.0)
        pairs["adoption"] = pairs["product_id"].map(adoption)
        taken = pairs.groupby("account_id")["adoption"].sum()
        taken = taken.reindex(ids, fill_value=0.0)
        out["whitespace"] = (adoption.sum() - taken).clip(lower=0.0)

    # Growth: ranked among accounts with prior revenue; new 50; idle 0.
    middle = (out["ttm_revenue"] + out["prior_revenue"]) / 2
    out["growth"] = (out["ttm_revenue"] - out["prior_revenue"]) / middle.where(
        middle > 0
    )
    out["growth"] = out["growth"].fillna(0.0)
    had_prior = out["prior_revenue"] > 0
    out["growth_score"] = 0.0
    out.loc[had_prior, "growth_score"] = percentile(out.loc[had_prior, "growth"])
    out.loc[~had_prior & (out["ttm_revenue"] > 0), "growth_score"] = 50.0

    # Wallet headroom from peers: sector and size band, then sector, then all.
    peer = (out["ttm_revenue"] > 0) & (out["company_revenue"] > 0)
    out["peer_spend"] = out["ttm_revenue"].where(peer, 0.0)
    out["peer_revenue"] = out["company_revenue"].where(peer, 0.0)
    out["peer_count"] = peer.astype(float)
    own = out[["peer_spend", "peer_revenue", "peer_count"]]
    out["peer_group"] = "none"
    out["rate"] = 0.0
    done = pd.Series(False, index=ids)
    minimum = int(model["min_peer_group"])
    for level, keys, needed in [
        ("sector_size", ["sector", "size_band"], minimum),
        ("sector", ["sector"], minimum),
        ("portfolio", [], 1),
    ]:
        if keys:
            totals = own.groupby([out[key] for key in keys]).transform("sum")
            allowed = (out["sector"] != "") & (
                (out["size_band"] != "unknown") | (level == "sector")
            )
        else:
            totals = pd.DataFrame(
                np.tile(own.sum().to_numpy(), (n, 1)), index=ids, columns=own.columns
            )
            allowed = pd.Series(True, index=ids)
        others = totals - own
        use = (
            allowed
            & ~done
            & (others["peer_count"] >= max(needed, 1))
            & (others["peer_revenue"] > 0)
        )
        out.loc[use, "peer_group"] = level
        out.loc[use, "rate"] = (
            others.loc[use, "peer_spend"] / others.loc[use, "peer_revenue"]
        )
        done = done | use
    out["headroom"] = (out["rate"] * out["company_revenue"] - out["ttm_revenue"]).clip(
        lower=0.0
    )

    # Subsidiaries with no revenue in the trailing twelve months.
    children = out["parent_id"].dropna().astype("int64")
    idle = children[out.loc[children.index, "ttm_revenue"] <= 0]
    out["idle_subsidiaries"] = (
        idle.value_counts().reindex(ids, fill_value=0).astype(float)
    )

    capacity = float(model["weight_capacity"]) / 2
    axes = {
        "performance": [
            ("ttm_revenue", model["weight_ttm_revenue"]),
            ("growth", model["weight_growth"]),
            ("breadth", model["weight_breadth"]),
        ],
        "potential": [
            ("headroom", model["weight_wallet_headroom"]),
            ("whitespace", model["weight_product_whitespace"]),
            ("idle_subsidiaries", model["weight_subsidiary_whitespace"]),
            ("company_revenue", capacity),
            ("employees", capacity),
        ],
    }
    for axis, inputs in axes.items():
        # Amounts: 0 earns 0. An input equal for everyone, or growth with no
        # prior revenue anywhere, is left out and the rest reweighted.
        normalised = {}
        for column, _weight in inputs:
            if column == "growth":
                if had_prior.any():
                    normalised[column] = out["growth_score"]
            else:
                normalised[column] = amount(out[column])
        weights = {
            column: float(weight)
            for column, weight in inputs
            if column in normalised and normalised[column].nunique() > 1
        }
        total = sum(weights.values())
        if total > 0:
            parts = pd.DataFrame(
                {
                    column: normalised[column] * weight / total
                    for column, weight in weights.items()
                }
            )
            out[axis] = parts.sum(axis=1).clip(0.0, 100.0)
        else:
            out[axis] = 50.0

    high_performance = out["performance"] >= float(model["performance_threshold"])
    high_potential = out["potential"] >= float(model["potential_threshold"])
    out["quadrant"] = "monitor"
    out.loc[high_performance & ~high_potential, "quadrant"] = "maintain"
    out.loc[~high_performance & high_potential, "quadrant"] = "expand"
    out.loc[high_performance & high_potential, "quadrant"] = "grow"

    # A/B/C: the share of revenue held by accounts strictly above each one.
    ttm_revenue = out["ttm_revenue"]
    positive = ttm_revenue.clip(lower=0)
    out["tier"] = "C"
    if positive.sum() > 0:
        by_value = positive.groupby(ttm_revenue).sum().sort_index(ascending=False)
        above = 100.0 * ttm_revenue.map(by_value.cumsum() - by_value) / positive.sum()
        out.loc[(above < float(model["tier_b_share"])) & (ttm_revenue > 0), "tier"] = (
            "B"
        )
        out.loc[(above < float(model["tier_a_share"])) & (ttm_revenue > 0), "tier"] = (
            "A"
        )
    # The engine keeps labels as plain Python strings (object dtype).
    labels = ["quadrant", "tier", "size_band"]
    out[labels] = out[labels].astype(object)
    return out[SCORE_COLUMNS]
