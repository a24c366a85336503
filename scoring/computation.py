"""The scoring engine: account facts in, performance and potential out.

Plain pandas, no Django, so it is tested without a database and runs the
same on 85 accounts or a million.

Inputs
    accounts  account_id, sector, annual_revenue_musd, employees, parent_id
              (extra columns such as name are ignored)
    revenue   account_id, product_id, quarter_start, amount
    products  product_id: the catalogue
    weights   ScoringWeights: the active scoring model as plain numbers

Method
    as_of defaults to the last day of the latest quarter in the revenue, so
    "trailing twelve months" (TTM) is relative to the data, not to today.
    The TTM window holds quarters starting after as_of minus one year; the
    prior window is the twelve months before that.

    Performance inputs
        ttm_revenue  won revenue in the TTM window
        growth       symmetric change (ttm - prior) / ((ttm + prior) / 2),
                     from -2 (lost everything) to +2; only meaningful for an
                     account that had revenue in the prior window (see
                     "Growth" below)
        breadth      share of the catalogue bought in the TTM window

    Potential inputs
        wallet_headroom       peer spend per million USD of company revenue,
                              times this account's company revenue, less its
                              TTM spend, floored at 0. Peers are the other
                              accounts that bought in the TTM window and have
                              a known company revenue, in the same sector and
                              size band (terciles of company revenue across
                              the portfolio: small, mid, large). With fewer
                              than min_peer_group peers the group widens to
                              the same sector at any size, then the whole
                              portfolio; with no peer at all the headroom
                              is 0 and the group is "none".
        product_whitespace    sum, over catalogue products the account did
                              not buy in the TTM window, of the share of
                              accounts that did buy it (a product nobody
                              buys is no evidence of demand)
        subsidiary_whitespace direct subsidiaries with no TTM revenue
        capacity_revenue      company revenue (missing counts as 0)
        capacity_employees    employees (missing counts as 0); the two
                              capacity inputs share the capacity weight

    Normalisation: every input but growth measures an amount of something,
    so an amount of 0 (or less) earns 0. A positive amount earns
    100 * r / n, r its mid-rank across the whole portfolio of n accounts
    (zeros included, so they take the lowest ranks): the size of outliers
    does not matter, ties get equal values, and the largest single amount
    earns 100.

    Growth: an account with revenue in the prior window ("ranked") gets the
    mid-rank percentile of its growth among the ranked accounts,
    100 * (r - 1) / (k - 1), or 50 when it is the only one. An account with
    no prior revenue but some now is "new": it earns the neutral 50, as
    there is nothing to compare with (its symmetric growth of +2 is not
    used). An account with revenue in neither window is "idle" and earns 0.
    When no account at all had revenue in the prior window, growth is "not
    available" (status no_prior_revenue) and is left out.

    An input whose normalised values are the same for every account (every
    account at 0, all equal, or a portfolio of one) does not separate the
    accounts: it is left out too (status no_separation). Each axis is the
    weighted sum of the inputs left in, their weights renormalised to sum to
    1, so both scores stay in 0-100 and left-out inputs earn 0 points and 0
    share. When no input of an axis is left in (a single account, an
    all-equal portfolio) every account scores the neutral 50 on it. No NaN
    and no division by zero arise: n >= 2 whenever an input separates.
    A score is "high" at or above its threshold.

    Tier is the classic A/B/C by TTM revenue alone: an account is A while
    the accounts strictly above it hold less than tier_a_share of the
    total, B while they hold less than tier_b_share, else C. Ties share a
    tier, and with no revenue at all every account is C.
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

PERFORMANCE_INPUTS = ("ttm_revenue", "growth", "breadth")
POTENTIAL_INPUTS = (
    "wallet_headroom",
    "product_whitespace",
    "subsidiary_whitespace",
    "capacity_revenue",
    "capacity_employees",
)
SIZE_BANDS = ("small", "mid", "large")
NEUTRAL_SCORE = 50.0
GROWTH_INPUT = "growth"


class InputStatus:
    """Why an input does or does not count in a run (one value per run)."""

    USED = "used"
    NO_PRIOR_REVENUE = "no_prior_revenue"
    NO_SEPARATION = "no_separation"


@dataclass(frozen=True)
class ScoringWeights:
    """The scoring model as plain numbers: weights, thresholds, tiers."""

    weight_ttm_revenue: float = 50
    weight_growth: float = 25
    weight_breadth: float = 25
    weight_wallet_headroom: float = 50
    weight_product_whitespace: float = 25
    weight_subsidiary_whitespace: float = 10
    weight_capacity: float = 15
    performance_threshold: float = 50
    potential_threshold: float = 50
    tier_a_share: float = 70
    tier_b_share: float = 90
    min_peer_group: int = 5

    def axis_weights(self) -> dict[str, dict[str, float]]:
        """Return each axis's input weights as the model states them."""
        return {
            "performance": {
                "ttm_revenue": float(self.weight_ttm_revenue),
                "growth": float(self.weight_growth),
                "breadth": float(self.weight_breadth),
            },
            "potential": {
                "wallet_headroom": float(self.weight_wallet_headroom),
                "product_whitespace": float(self.weight_product_whitespace),
                "subsidiary_whitespace": float(self.weight_subsidiary_whitespace),
                "capacity_revenue": float(self.weight_capacity) / 2,
                "capacity_employees": float(self.weight_capacity) / 2,
            },
        }


@dataclass(frozen=True)
class ScoringResult:
    """The scores, and the breakdown behind them kept column-wise.

    `components` has one row per account (same index as `scores`) and flat
    columns: `<input>_raw`, `<input>_normalised` and `<input>_points` for
    every input, then the peer group's `peer_level`, `peer_sector`,
    `peer_size_band`, `peer_count`, `peer_rate` and `expected_spend`. It
    becomes one nested dict per account only where one is stored or shown
    (`breakdown_list`), so scoring a large portfolio builds no Python
    objects per account. `prior_revenue` is kept too, so a page can say
    which accounts are new. `input_status` says, per input, whether it
    counted in this run (InputStatus), the same for every account.
    """

    scores: pd.DataFrame
    as_of: date | None
    components: pd.DataFrame
    axis_weights: dict[str, dict[str, float]]
    input_status: dict[str, str] = field(default_factory=dict)

    def breakdown_list(self) -> list[dict]:
        """Return, per account in score order, the nested breakdown dict."""
        return component_dicts(
            components=self.components,
            axis_weights=self.axis_weights,
            input_status=self.input_status,
        )


class ScoringInputError(ValueError):
    """The inputs or the model cannot produce meaningful scores."""


def _clean(values: pd.Series) -> pd.Series:
    return values.astype(float).replace([np.inf, -np.inf], np.nan).fillna(0.0)


def percentile_score(values: pd.Series) -> pd.Series:
    """Return 0-100 mid-rank percentiles; ties equal, a lone value 50."""
    values = _clean(values)
    count = len(values)
    if count <= 1:
        return pd.Series(NEUTRAL_SCORE, index=values.index, dtype=float)

    ranks = values.rank(method="average")
    return 100.0 * (ranks - 1.0) / (count - 1)


def amount_score(values: pd.Series) -> pd.Series:
    """Return 0 for an amount of 0 or less, else 100 * mid-rank / count."""
    values = _clean(values)
    if values.empty:
        return values

    ranks = values.rank(method="average")
    return (100.0 * ranks / len(values)).where(values > 0, 0.0)


def growth_score(*, ttm: pd.Series, prior: pd.Series) -> pd.Series:
    """Return growth normalised: ranked if prior revenue, new 50, idle 0."""
    ranked = prior > 0
    normalised = pd.Series(0.0, index=ttm.index)
    normalised[ranked] = percentile_score(_symmetric_growth(ttm, prior)[ranked])
    normalised[~ranked & (ttm > 0)] = NEUTRAL_SCORE
    return normalised


def default_as_of(revenue: pd.DataFrame) -> date | None:
    """Return the last day of the latest quarter present in the revenue."""
    if revenue.empty:
        return None

    latest = pd.Timestamp(revenue["quarter_start"].max())
    quarter_end = latest.to_period("Q").end_time
    return quarter_end.date()


def score_accounts(
    *,
    accounts: pd.DataFrame,
    revenue: pd.DataFrame,
    products: pd.DataFrame,
    weights: ScoringWeights,
    as_of: date | None = None,
) -> ScoringResult:
    """Score every account on performance and potential, with a breakdown."""
    axis_weights = weights.axis_weights()
    for axis, inputs in axis_weights.items():
        if sum(inputs.values()) <= 0:
            raise ScoringInputError(f"The {axis} weights add up to zero.")

    frame = _account_frame(accounts)
    revenue = _revenue_frame(revenue)
    as_of = as_of or default_as_of(revenue)
    catalogue = pd.Index(products["product_id"].unique())

    facts = _revenue_facts(frame.index, revenue, catalogue, as_of)
    frame = frame.join(facts)
    frame["growth"] = _symmetric_growth(frame["ttm_revenue"], frame["prior_revenue"])
    frame = frame.join(_wallet_headroom(frame, weights.min_peer_group))
    frame["subsidiary_whitespace"] = _subsidiary_whitespace(frame)
    frame["capacity_revenue"] = frame["company_revenue"]
    frame["capacity_employees"] = frame["employees"]

    components: dict[str, pd.Series] = {}
    input_status: dict[str, str] = {}
    for axis, inputs in axis_weights.items():
        normalised_inputs = {}
        for name in inputs:
            if name == GROWTH_INPUT:
                normalised = growth_score(
                    ttm=frame["ttm_revenue"], prior=frame["prior_revenue"]
                )
                has_prior = bool((frame["prior_revenue"] > 0).any())
            else:
                normalised = amount_score(frame[name])
                has_prior = True
            if not has_prior:
                input_status[name] = InputStatus.NO_PRIOR_REVENUE
            elif normalised.nunique() <= 1:
                input_status[name] = InputStatus.NO_SEPARATION
            else:
                input_status[name] = InputStatus.USED
            normalised_inputs[name] = normalised

        used_weight = sum(
            weight
            for name, weight in inputs.items()
            if input_status[name] == InputStatus.USED
        )
        axis_points = []
        for name, weight in inputs.items():
            normalised = normalised_inputs[name]
            if input_status[name] == InputStatus.USED and used_weight > 0:
                points = normalised * weight / used_weight
                axis_points.append(points.to_numpy())
            else:
                points = pd.Series(0.0, index=frame.index)
            components[f"{name}_raw"] = frame[name].astype(float)
            components[f"{name}_normalised"] = normalised
            components[f"{name}_points"] = points
        if axis_points:
            # Rounding noise can push a perfect score a hair past 100.
            frame[axis] = np.clip(np.sum(axis_points, axis=0), 0.0, 100.0)
        else:
            frame[axis] = NEUTRAL_SCORE

    frame["quadrant"] = _quadrant(
        frame, weights.performance_threshold, weights.potential_threshold
    )
    frame["tier"] = _tier(
        frame["ttm_revenue"], weights.tier_a_share, weights.tier_b_share
    )
    components["peer_level"] = frame["peer_group"]
    components["peer_sector"] = frame["sector"]
    components["peer_size_band"] = frame["size_band"]
    components["peer_count"] = frame["peer_count"]
    components["peer_rate"] = frame["peer_rate"].astype(float)
    components["expected_spend"] = frame["expected_spend"].astype(float)
    components["prior_revenue"] = frame["prior_revenue"].astype(float)

    columns = [
        "performance",
        "potential",
        "quadrant",
        "tier",
        "ttm_revenue",
        "size_band",
        "peer_group",
    ]
    return ScoringResult(
        scores=frame[columns],
        as_of=as_of,
        components=pd.DataFrame(components, index=frame.index),
        axis_weights=axis_weights,
        input_status=input_status,
    )


def _account_frame(accounts: pd.DataFrame) -> pd.DataFrame:
    if accounts["account_id"].duplicated().any():
        raise ScoringInputError("An account appears twice in the accounts frame.")

    frame = pd.DataFrame(index=pd.Index(accounts["account_id"], name="account_id"))
    frame["sector"] = (
        accounts["sector"].fillna("").astype(str).str.strip().str.lower().to_numpy()
    )
    frame["company_revenue"] = (
        pd.to_numeric(accounts["annual_revenue_musd"], errors="coerce")
        .astype(float)
        .clip(lower=0)
        .fillna(0.0)
        .to_numpy()
    )
    frame["employees"] = (
        pd.to_numeric(accounts["employees"], errors="coerce")
        .astype(float)
        .clip(lower=0)
        .fillna(0.0)
        .to_numpy()
    )
    frame["parent_id"] = accounts["parent_id"].to_numpy()
    frame["size_band"] = _size_band(frame["company_revenue"])
    return frame


def _revenue_frame(revenue: pd.DataFrame) -> pd.DataFrame:
    revenue = revenue[["account_id", "product_id", "quarter_start", "amount"]].copy()
    revenue["quarter_start"] = pd.to_datetime(revenue["quarter_start"])
    revenue["amount"] = pd.to_numeric(revenue["amount"]).astype(float).fillna(0.0)
    return revenue


def _size_band(company_revenue: pd.Series) -> pd.Series:
    """Return small, mid or large by tercile of known company revenue."""
    known = company_revenue[company_revenue > 0]
    band = pd.Series("unknown", index=company_revenue.index, dtype=object)
    if known.empty:
        return band

    share = known.rank(method="average", pct=True)
    band[known.index] = np.select(
        [share <= 1 / 3, share <= 2 / 3], ["small", "mid"], default="large"
    )
    return band


def _revenue_facts(
    account_ids: pd.Index,
    revenue: pd.DataFrame,
    catalogue: pd.Index,
    as_of: date | None,
) -> pd.DataFrame:
    facts = pd.DataFrame(index=account_ids)
    if as_of is None:
        facts["ttm_revenue"] = 0.0
        facts["prior_revenue"] = 0.0
        facts["breadth"] = 0.0
        facts["product_whitespace"] = 0.0
        return facts

    end = pd.Timestamp(as_of)
    ttm_start = end - pd.DateOffset(years=1)
    prior_start = ttm_start - pd.DateOffset(years=1)
    known = revenue[revenue["account_id"].isin(account_ids)]
    in_ttm = known[
        (known["quarter_start"] > ttm_start) & (known["quarter_start"] <= end)
    ]
    in_prior = known[
        (known["quarter_start"] > prior_start) & (known["quarter_start"] <= ttm_start)
    ]

    facts["ttm_revenue"] = in_ttm.groupby("account_id")["amount"].sum()
    facts["prior_revenue"] = in_prior.groupby("account_id")["amount"].sum()
    facts = facts.fillna(0.0)

    # One row per account and product bought (net amount above zero) in TTM.
    bought = in_ttm[in_ttm["product_id"].isin(catalogue)]
    bought = bought.groupby(["account_id", "product_id"])["amount"].sum()
    bought = bought[bought > 0].reset_index()[["account_id", "product_id"]]
    products_bought = bought.groupby("account_id")["product_id"].nunique()
    facts["breadth"] = (
        products_bought.reindex(account_ids, fill_value=0) / len(catalogue)
        if len(catalogue)
        else 0.0
    )

    # Whitespace: the adoption of every product the account has not bought.
    adoption = (
        bought.groupby("product_id")["account_id"].nunique() / len(account_ids)
    ).reindex(catalogue, fill_value=0.0)
    adoption_bought = (
        bought.assign(adoption=bought["product_id"].map(adoption))
        .groupby("account_id")["adoption"]
        .sum()
        .reindex(account_ids, fill_value=0.0)
    )
    facts["product_whitespace"] = (adoption.sum() - adoption_bought).clip(lower=0.0)
    return facts


def _symmetric_growth(ttm: pd.Series, prior: pd.Series) -> pd.Series:
    middle = (ttm + prior) / 2
    growth = (ttm - prior) / middle.where(middle > 0)
    return growth.fillna(0.0)


def _wallet_headroom(frame: pd.DataFrame, min_peer_group: int) -> pd.DataFrame:
    """Return headroom, the peer group used, and its size and spend rate."""
    is_peer = (frame["ttm_revenue"] > 0) & (frame["company_revenue"] > 0)
    peer_spend = frame["ttm_revenue"].where(is_peer, 0.0)
    peer_revenue = frame["company_revenue"].where(is_peer, 0.0)
    peer_count = is_peer.astype(float)
    has_sector = frame["sector"] != ""
    has_band = frame["size_band"] != "unknown"

    # (level, grouping keys, who may use it, peers it needs)
    levels = [
        ("sector_size", ["sector", "size_band"], has_sector & has_band, min_peer_group),
        ("sector", ["sector"], has_sector, min_peer_group),
        ("portfolio", [], pd.Series(True, index=frame.index), 1),
    ]
    sums = pd.DataFrame(
        {"spend": peer_spend, "revenue": peer_revenue, "count": peer_count}
    )
    result = pd.DataFrame(index=frame.index)
    result["peer_group"] = "none"
    result["peer_count"] = 0
    result["peer_rate"] = 0.0
    chosen = pd.Series(False, index=frame.index)

    for level, keys, eligible, minimum in levels:
        if keys:
            group_sums = sums.groupby([frame[key] for key in keys]).transform("sum")
        else:
            group_sums = pd.DataFrame(
                np.tile(sums.sum().to_numpy(), (len(sums), 1)),
                index=sums.index,
                columns=sums.columns,
            )

        # Leave the account itself out: its own spend must not set its bar.
        others = group_sums - sums
        take = (
            eligible
            & ~chosen
            & (others["count"] >= max(minimum, 1))
            & (others["revenue"] > 0)
        )

        result.loc[take, "peer_group"] = level
        result.loc[take, "peer_count"] = others.loc[take, "count"].astype(int)
        result.loc[take, "peer_rate"] = (
            others.loc[take, "spend"] / others.loc[take, "revenue"]
        )
        chosen |= take

    result["expected_spend"] = result["peer_rate"] * frame["company_revenue"]
    result["wallet_headroom"] = (result["expected_spend"] - frame["ttm_revenue"]).clip(
        lower=0.0
    )
    return result


def _subsidiary_whitespace(frame: pd.DataFrame) -> pd.Series:
    parents = frame["parent_id"].dropna().astype("int64")
    idle = parents[frame.loc[parents.index, "ttm_revenue"] <= 0]
    counts = idle.value_counts()
    return counts.reindex(frame.index, fill_value=0).astype(float)


def _quadrant(
    frame: pd.DataFrame, performance_threshold: float, potential_threshold: float
) -> pd.Series:
    high_performance = frame["performance"] >= float(performance_threshold)
    high_potential = frame["potential"] >= float(potential_threshold)
    quadrant = np.select(
        [
            high_performance & high_potential,
            ~high_performance & high_potential,
            high_performance & ~high_potential,
        ],
        ["grow", "expand", "maintain"],
        default="monitor",
    )
    return pd.Series(quadrant, index=frame.index, dtype=object)


def _tier(ttm_revenue: pd.Series, a_share: float, b_share: float) -> pd.Series:
    total = ttm_revenue.clip(lower=0).sum()
    if total <= 0:
        return pd.Series("C", index=ttm_revenue.index, dtype=object)

    # Revenue held by accounts strictly above each one, so ties share a tier.
    per_value = ttm_revenue.clip(lower=0).groupby(ttm_revenue).sum()
    above = per_value.sort_index(ascending=False).cumsum() - per_value
    share_above = 100.0 * ttm_revenue.map(above) / total
    tier = np.select(
        [
            (share_above < float(a_share)) & (ttm_revenue > 0),
            (share_above < float(b_share)) & (ttm_revenue > 0),
        ],
        ["A", "B"],
        default="C",
    )
    return pd.Series(tier, index=ttm_revenue.index, dtype=object)


def input_shares(
    *, axis_weights: dict[str, dict[str, float]], input_status: dict[str, str]
) -> dict[str, float]:
    """Return each input's share of its axis: its weight over the used ones.

    An input that did not count has share 0; a run scored before statuses
    were kept (no status given) counts every input.
    """
    shares = {}
    for inputs in axis_weights.values():
        used = {
            name: weight
            for name, weight in inputs.items()
            if input_status.get(name, InputStatus.USED) == InputStatus.USED
        }
        total = sum(used.values())
        for name in inputs:
            shares[name] = used[name] / total if name in used and total > 0 else 0.0
    return shares


def component_dicts(
    *,
    components: pd.DataFrame,
    axis_weights: dict[str, dict[str, float]],
    input_status: dict[str, str] | None = None,
) -> list[dict]:
    """Return, per account, every input's raw, normalised, weight and points."""
    input_status = input_status or {}
    shares = input_shares(axis_weights=axis_weights, input_status=input_status)
    # tolist() turns whole columns into Python numbers at C speed; only the
    # dict assembly below is a loop, and it runs at save or display time.
    column = {name: components[name].tolist() for name in components.columns}
    breakdowns = []
    for row in range(len(components)):
        breakdown: dict = {}
        for axis, inputs in axis_weights.items():
            breakdown[axis] = {
                name: {
                    "raw": float(column[f"{name}_raw"][row]),
                    "normalised": float(column[f"{name}_normalised"][row]),
                    "weight": weight,
                    "share": shares[name],
                    "points": float(column[f"{name}_points"][row]),
                    "status": input_status.get(name, InputStatus.USED),
                }
                for name, weight in inputs.items()
            }
        if GROWTH_INPUT in breakdown.get("performance", {}):
            breakdown["performance"][GROWTH_INPUT]["prior_revenue"] = float(
                column["prior_revenue"][row]
            )
        breakdown["peer_group"] = {
            "level": str(column["peer_level"][row]),
            "sector": str(column["peer_sector"][row]),
            "size_band": str(column["peer_size_band"][row]),
            "peers": int(column["peer_count"][row]),
            "spend_per_musd": float(column["peer_rate"][row]),
            "expected_spend": float(column["expected_spend"][row]),
        }
        breakdowns.append(breakdown)
    return breakdowns
