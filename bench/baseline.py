"""The scoring baseline: the documented method as one plain pandas script.

It takes the engine's input frames (see scoring/computation.py) and a plain
dict of model numbers, and returns the same score columns, written the
obvious way with no reuse of the engine's code. The scoring benchmark times
both on the same frames in the same process; a test checks the frames are
exactly equal, so a faster engine can never drift from the method.

Only the per-account explanation (the engine's "components" column) is left
out: it is presentation, and the benchmark reports its cost separately.
Currencies (converted with the latest rate on or before each line's
quarter, lines without one dropped) and support signals (relationship
health) are handled here too, written independently of the engine.
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
    rates: pd.DataFrame | None = None,
    signals: pd.DataFrame | None = None,
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
    if "currency" in revenue.columns:
        lines["currency"] = (
            revenue["currency"].astype(object).fillna("").astype(str).str.strip()
        ).str.upper()
    else:
        lines["currency"] = ""
    end = None
    if not lines.empty:
        # The window comes from every line, converted or not.
        end = pd.Timestamp(lines["quarter_start"].max()).to_period("Q").end_time
        end = pd.Timestamp(end.date())
    lines = lines[lines["account_id"].isin(ids)]

    # Other currencies: the latest rate on or before the line's quarter.
    reporting = model.get("reporting_currency", "USD")
    other = lines[(lines["currency"] != "") & (lines["currency"] != reporting)]
    if len(other):
        table = pd.DataFrame(columns=["currency", "rate_date", "rate"])
        if rates is not None:
            table = rates[["currency", "rate_date", "rate"]]
        table = pd.DataFrame(
            {
                "currency": table["currency"].astype(str),
                "quarter_start": pd.to_datetime(table["rate_date"]).astype(
                    "datetime64[ns]"
                ),
                "rate": table["rate"].astype(float),
            }
        ).sort_values("quarter_start")
        keyed = other[["currency", "quarter_start"]].copy()
        keyed["quarter_start"] = keyed["quarter_start"].astype("datetime64[ns]")
        keyed["row"] = other.index
        matched = pd.merge_asof(
            keyed.sort_values("quarter_start"),
            table,
            on="quarter_start",
            by="currency",
            direction="backward",
        ).set_index("row")["rate"]
        rate = matched.reindex(other.index)
        lines.loc[other.index, "amount"] = other["amount"] * rate
        lines = lines.drop(index=rate[rate.isna()].index)

    catalogue = pd.Index(products["product_id"].unique())
    if end is None:
        for column in ["ttm_revenue", "prior_revenue", "breadth", "whitespace"]:
            out[column] = 0.0
    else:
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

    # Relationship health: the latest satisfaction, NPS and tickets of the
    # trailing twelve months, each ranked (fewer tickets better), averaged.
    out["health"] = np.nan
    if signals is not None and len(signals) and end is not None:
        period = pd.to_datetime(signals["period_start"])
        recent = signals[
            (period > end - pd.DateOffset(years=1))
            & (period <= end)
            & signals["account_id"].isin(ids)
        ].assign(period=period)
        ranks = []
        for column in ["satisfaction", "nps", "tickets"]:
            values = recent[["account_id", "period", column]].copy()
            values[column] = pd.to_numeric(values[column], errors="coerce")
            values = values.dropna(subset=[column]).sort_values("period")
            last = (
                values.drop_duplicates("account_id", keep="last")
                .set_index("account_id")[column]
                .astype(float)
            )
            ranks.append(percentile(-last if column == "tickets" else last))
        table = pd.concat(ranks, axis=1)
        out["health"] = table.mean(axis=1).reindex(ids)
    has_health = out["health"].notna()
    out["health_score"] = 0.0
    out.loc[has_health, "health_score"] = percentile(out.loc[has_health, "health"])

    capacity = float(model["weight_capacity"]) / 2
    axes = {
        "performance": [
            ("ttm_revenue", model["weight_ttm_revenue"]),
            ("growth", model["weight_growth"]),
            ("breadth", model["weight_breadth"]),
            ("health", model["weight_relationship_health"]),
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
            elif column == "health":
                # Only among accounts with a signal; the others lack it.
                if has_health.any():
                    normalised[column] = out["health_score"]
            else:
                normalised[column] = amount(out[column])
        weights = {
            column: float(weight)
            for column, weight in inputs
            if column in normalised
            and (
                normalised[column][has_health].nunique() > 1
                if column == "health"
                else normalised[column].nunique() > 1
            )
        }
        # An account without a signal spreads the weight over the rest.
        total = pd.Series(sum(weights.values()), index=ids)
        if "health" in weights:
            total[~has_health] = sum(
                weight for column, weight in weights.items() if column != "health"
            )
        if weights:
            parts = pd.DataFrame(
                {
                    column: (
                        (normalised[column] * weight / total).where(has_health, 0.0)
                        if column == "health"
                        else normalised[column] * weight / total
                    )
                    for column, weight in weights.items()
                }
            )
            out[axis] = parts.sum(axis=1).clip(0.0, 100.0).where(total > 0, 50.0)
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
