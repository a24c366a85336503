"""The scoring engine: account facts in, performance and potential out.

Plain pandas, no Django, so it is tested without a database and runs the
same on 85 accounts or a million.

Inputs
    accounts  account_id, sector, annual_revenue_musd, employees, parent_id
              (extra columns such as name are ignored)
    revenue   account_id, product_id, quarter_start, amount, and optionally
              currency (missing or blank: the reporting currency)
    products  product_id: the catalogue
    weights   ScoringWeights: the active scoring model as plain numbers
    rates     optional: currency, rate_date, rate; one unit of the currency
              is `rate` units of weights.reporting_currency from rate_date on
    signals   optional: account_id, period_start, tickets, satisfaction, nps
              (support-desk health per account and period; any may be blank)

Method
    as_of defaults to the last day of the latest quarter in the revenue, so
    "trailing twelve months" (TTM) is relative to the data, not to today;
    a quarter after today does not count (default_as_of); a scoring model
    may fix it instead (ScoringModel.score_as_of). Accounts
    with revenue lines, none of them in the window, are counted
    (`idle_accounts`): a window moved by a few recent lines shows there.
    The TTM window holds quarters starting after as_of minus one year; the
    prior window is the twelve months before that.

    Currencies: every amount is converted into the model's reporting
    currency with the latest stored rate dated on or before the line's
    quarter_start: accounts.currency.rates_on_or_before, the rule the
    account page uses too (that module needs no database). A line in
    another currency with no such rate is left out of every sum (never
    added as a raw number); the lines left out inside the TTM and prior
    windows are counted per account and currency
    (`left_out_<currency>` columns of the breakdown, `left_out_lines` for
    the run). as_of is taken from every line, converted or not.

    Performance inputs
        ttm_revenue  won revenue in the TTM window
        growth       symmetric change (ttm - prior) / ((ttm + prior) / 2),
                     from -2 (lost everything) to +2; only meaningful for an
                     account that had revenue in the prior window (see
                     "Growth" below)
        breadth      share of the catalogue bought in the TTM window
        relationship_health
                     support-desk health from the signals whose period_start
                     falls in the TTM window: per account the latest
                     satisfaction, the latest NPS and the latest ticket
                     count in that window (each from the latest period that
                     has it). Each is ranked among the accounts that have it
                     (percentile as for growth; fewer tickets rank higher)
                     and the raw health is the mean of the account's ranks,
                     0-100. An account without any signal in the window has
                     it "not available" (status no_signal on its row): the
                     input is left out for that account alone and its other
                     performance weights renormalised, as below; it does
                     not count as 0. When no account has a signal the input
                     is not available for the run (status no_signals).

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
    Relationship health is normalised the same way as growth: the mid-rank
    percentile of the raw health among the accounts that have one.
    When no account at all had revenue in the prior window, growth is "not
    available" (status no_prior_revenue) and is left out.

    An input whose normalised values are the same for every account (every
    account at 0, all equal, or a portfolio of one) does not separate the
    accounts: it is left out too (status no_separation). Each axis is the
    weighted sum of the inputs left in, their weights renormalised to sum to
    1, so both scores stay in 0-100 and left-out inputs earn 0 points and 0
    share; relationship health is also left out, with the same
    renormalisation, for each account that has no signal. When no input of
    an axis is left in for an account (a single account, an all-equal
    portfolio) it scores the neutral 50 on that axis. No NaN
    and no division by zero arise: n >= 2 whenever an input separates.
    A score is "high" at or above its threshold.

    Tier is the classic A/B/C by TTM revenue alone: an account is A while
    the accounts strictly above it hold less than tier_a_share of the
    total, B while they hold less than tier_b_share, else C. Ties share a
    tier, and with no revenue at all every account is C.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from accounts.currency import rates_on_or_before

PERFORMANCE_INPUTS = ("ttm_revenue", "growth", "breadth", "relationship_health")
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
HEALTH_INPUT = "relationship_health"
HEALTH_PARTS = ("satisfaction", "nps", "tickets")
REPORTING_CURRENCY = "USD"


class InputStatus:
    """Why an input does or does not count in a run (one value per run)."""

    USED = "used"
    NO_PRIOR_REVENUE = "no_prior_revenue"
    NO_SEPARATION = "no_separation"
    # No account has a support signal in the window: health is left out.
    NO_SIGNALS = "no_signals"
    # This account has no signal (one account's row; others may use it).
    NO_SIGNAL = "no_signal"


@dataclass(frozen=True)
class ScoringWeights:
    """The scoring model as plain numbers: weights, thresholds, tiers."""

    weight_ttm_revenue: float = 50
    weight_growth: float = 25
    weight_breadth: float = 25
    weight_relationship_health: float = 20
    weight_wallet_headroom: float = 50
    weight_product_whitespace: float = 25
    weight_subsidiary_whitespace: float = 10
    weight_capacity: float = 15
    performance_threshold: float = 50
    potential_threshold: float = 50
    tier_a_share: float = 70
    tier_b_share: float = 90
    min_peer_group: int = 5
    reporting_currency: str = REPORTING_CURRENCY

    def axis_weights(self) -> dict[str, dict[str, float]]:
        """Return each axis's input weights as the model states them."""
        return {
            "performance": {
                "ttm_revenue": float(self.weight_ttm_revenue),
                "growth": float(self.weight_growth),
                "breadth": float(self.weight_breadth),
                "relationship_health": float(self.weight_relationship_health),
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
    float or label columns: `<input>_raw`, `<input>_normalised` and
    `<input>_points` for every input; the peer group's `peer_level`,
    `peer_sector`, `peer_size_band`, `peer_count`, `peer_rate` and
    `expected_spend`; `prior_revenue` (so a page can say which accounts are
    new); `relationship_health_available` (1 or 0) and the health parts
    `health_satisfaction`, `health_nps`, `health_tickets` (NaN when
    missing); for an account without a signal in the window,
    `health_outside_first` and `health_outside_last`, the periods of its
    signals outside it (days since 1970-01-01, NaN for none); and
    `left_out_<currency>`, the account's lines in that currency left out
    for want of a rate. It becomes one nested dict per
    account only where one is shown (`breakdown_list`, breakdown_dict), so
    scoring and saving a large portfolio build no Python objects per
    account. `input_status` says, per input, whether it counted in this run
    (InputStatus); `left_out_lines` counts the run's lines left out per
    currency.
    """

    scores: pd.DataFrame
    as_of: date | None
    components: pd.DataFrame
    axis_weights: dict[str, dict[str, float]]
    input_status: dict[str, str] = field(default_factory=dict)
    reporting_currency: str = REPORTING_CURRENCY
    left_out_lines: dict[str, int] = field(default_factory=dict)
    # Accounts with revenue lines, none of them in the TTM window.
    idle_accounts: int = 0

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


def default_as_of(revenue: pd.DataFrame, *, today: date | None = None) -> date | None:
    """Return the last day of the latest quarter with revenue, up to today.

    However few accounts reach that quarter: the import check asks before an
    import moves the window and leaves accounts without revenue in it, and
    the run names them (idle_accounts), so a thin quarter is never passed
    over in silence.
    """
    if revenue.empty:
        return None

    starts = pd.to_datetime(revenue["quarter_start"])
    return window_end(pd.Series(1, index=starts.unique()), today=today)


def window_end(reach: pd.Series, *, today: date | None = None) -> date | None:
    """Return where the window ends, given how many accounts each quarter has.

    `reach` counts the accounts with revenue, by quarter start; the rule of
    default_as_of, for a caller that counts them in the database.
    """
    reach = reach[reach > 0]
    if reach.empty:
        return None
    reach.index = pd.to_datetime(reach.index)
    if today is not None:
        reach = reach[reach.index <= pd.Timestamp(today)]
        if reach.empty:
            return quarter_end(today)

    return quarter_end(pd.Timestamp(reach.index.max()).date())


def quarter_end(day: date) -> date:
    """Return the last day of the day's quarter: the window end it gives."""
    return pd.Timestamp(day).to_period("Q").end_time.date()


def window_bounds(as_of: date) -> tuple[date, date]:
    """Return (after, until): the TTM window holds quarter starts in (after,
    until]."""
    end, ttm_start, _ = _window(as_of)
    return ttm_start.date(), end.date()


def window_quarters(as_of: date) -> tuple[pd.Period, pd.Period]:
    """Return the first and last quarter whose start is in the TTM window."""
    end, ttm_start, _ = _window(as_of)
    return ttm_start.to_period("Q") + 1, end.to_period("Q")


def window_label(as_of: date) -> str:
    """Return the TTM window as quarters: "Q4 2025–Q3 2026"."""
    first, last = window_quarters(as_of)
    return "\u2013".join(
        f"Q{quarter.quarter} {quarter.year}" for quarter in (first, last)
    )


def idle_accounts_warning(*, idle_accounts: int, as_of: date | None) -> str:
    """Return "3 accounts have no revenue in the window Q4 2025–Q3 2026", or ""."""
    if not idle_accounts or as_of is None:
        return ""
    verb = "account has" if idle_accounts == 1 else "accounts have"
    return f"{idle_accounts:,} {verb} no revenue in the window {window_label(as_of)}"


def score_accounts(
    *,
    accounts: pd.DataFrame,
    revenue: pd.DataFrame,
    products: pd.DataFrame,
    weights: ScoringWeights,
    as_of: date | None = None,
    rates: pd.DataFrame | None = None,
    signals: pd.DataFrame | None = None,
    today: date | None = None,
) -> ScoringResult:
    """Score every account on performance and potential, with a breakdown.

    Without as_of, the window ends where default_as_of says, never after
    today when given.
    """
    axis_weights = weights.axis_weights()
    for axis, inputs in axis_weights.items():
        if sum(inputs.values()) <= 0:
            raise ScoringInputError(f"The {axis} weights add up to zero.")

    frame = _account_frame(accounts)
    revenue = revenue_read = _revenue_frame(revenue)
    as_of = as_of or default_as_of(revenue, today=today)
    revenue, left_out = _revenue_converted(
        revenue=revenue,
        rates=rates,
        reporting_currency=weights.reporting_currency,
        account_ids=frame.index,
        as_of=as_of,
    )
    catalogue = pd.Index(products["product_id"].unique())

    facts = _revenue_facts(frame.index, revenue, catalogue, as_of)
    frame = frame.join(facts)
    frame["growth"] = _symmetric_growth(frame["ttm_revenue"], frame["prior_revenue"])
    frame = frame.join(_wallet_headroom(frame, weights.min_peer_group))
    frame["subsidiary_whitespace"] = _subsidiary_whitespace(frame)
    frame["capacity_revenue"] = frame["company_revenue"]
    frame["capacity_employees"] = frame["employees"]
    health = _relationship_health(frame.index, signals, as_of)
    outside = _signals_outside(frame.index, signals, as_of)
    frame[HEALTH_INPUT] = health[HEALTH_INPUT]
    # Whether each account has the input at all; only health can lack it.
    available = {HEALTH_INPUT: health[HEALTH_INPUT].notna().to_numpy()}

    components: dict[str, pd.Series] = {}
    input_status: dict[str, str] = {}
    for axis, inputs in axis_weights.items():
        normalised_inputs = {}
        for name in inputs:
            if name == GROWTH_INPUT:
                normalised = growth_score(
                    ttm=frame["ttm_revenue"], prior=frame["prior_revenue"]
                )
                has_any = bool((frame["prior_revenue"] > 0).any())
                missing = InputStatus.NO_PRIOR_REVENUE
            elif name == HEALTH_INPUT:
                normalised = health_score(frame[HEALTH_INPUT])
                has_any = bool(available[name].any())
                missing = InputStatus.NO_SIGNALS
            else:
                normalised = amount_score(frame[name])
                has_any = True
                missing = InputStatus.USED
            if not has_any:
                input_status[name] = missing
            elif (
                normalised[available[name]] if name in available else normalised
            ).nunique() <= 1:
                input_status[name] = InputStatus.NO_SEPARATION
            else:
                input_status[name] = InputStatus.USED
            normalised_inputs[name] = normalised

        # Per account: the weight of the inputs that count for it.
        used_weight = np.zeros(len(frame))
        for name, weight in inputs.items():
            if input_status[name] == InputStatus.USED:
                used_weight = used_weight + np.where(
                    available.get(name, True), weight, 0.0
                )
        divisor = np.where(used_weight > 0, used_weight, 1.0)
        axis_total = np.zeros(len(frame))
        for name, weight in inputs.items():
            normalised = normalised_inputs[name]
            if input_status[name] == InputStatus.USED:
                points = pd.Series(
                    np.where(
                        available.get(name, True),
                        normalised.to_numpy() * weight / divisor,
                        0.0,
                    ),
                    index=frame.index,
                )
                axis_total = axis_total + points.to_numpy()
            else:
                points = pd.Series(0.0, index=frame.index)
            components[f"{name}_raw"] = frame[name].astype(float)
            components[f"{name}_normalised"] = normalised
            components[f"{name}_points"] = points
        # Rounding noise can push a perfect score a hair past 100; with no
        # input counting for an account it scores the neutral middle.
        frame[axis] = np.where(
            used_weight > 0, np.clip(axis_total, 0.0, 100.0), NEUTRAL_SCORE
        )

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
    components[f"{HEALTH_INPUT}_available"] = pd.Series(
        available[HEALTH_INPUT].astype(float), index=frame.index
    )
    for part in HEALTH_PARTS:
        components[f"health_{part}"] = health[part]
    # Only for an account without a signal in the window: why it has none.
    has_health = pd.Series(available[HEALTH_INPUT], index=frame.index)
    for name in ("first", "last"):
        components[f"health_outside_{name}"] = outside[name].where(~has_health)
    for currency in left_out.columns:
        components[f"left_out_{currency}"] = left_out[currency]

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
        reporting_currency=weights.reporting_currency,
        idle_accounts=_idle_accounts(frame.index, revenue_read, as_of),
        left_out_lines={
            str(currency): int(count) for currency, count in left_out.sum().items()
        },
    )


def health_score(values: pd.Series) -> pd.Series:
    """Return health normalised: ranked among accounts that have it, else 0."""
    normalised = pd.Series(0.0, index=values.index)
    known = values.notna()
    normalised[known] = percentile_score(values[known])
    return normalised


def _window(as_of: date) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """Return (end, ttm_start, prior_start); a window holds (start, end]."""
    end = pd.Timestamp(as_of)
    ttm_start = end - pd.DateOffset(years=1)
    return end, ttm_start, ttm_start - pd.DateOffset(years=1)


def _idle_accounts(
    account_ids: pd.Index, revenue: pd.DataFrame, as_of: date | None
) -> int:
    """Count the accounts with revenue lines, all of them outside the window.

    Every line counts, converted or not: a missing rate is reported apart.
    """
    if as_of is None:
        return 0

    end, ttm_start, _ = _window(as_of)
    known = revenue[revenue["account_id"].isin(account_ids)]
    inside = (known["quarter_start"] > ttm_start) & (known["quarter_start"] <= end)
    with_lines = pd.unique(known["account_id"])
    with_inside = pd.unique(known.loc[inside, "account_id"])
    return len(with_lines) - len(with_inside)


def _signals_outside(
    account_ids: pd.Index, signals: pd.DataFrame | None, as_of: date | None
) -> pd.DataFrame:
    """Return per account the first and last signal period outside the window.

    As days since 1970-01-01 (NaN for none), so they fit the breakdown's
    numbers; breakdown_dict turns them back into dates.
    """
    outside = pd.DataFrame(np.nan, index=account_ids, columns=["first", "last"])
    if signals is None or signals.empty or as_of is None:
        return outside

    end, ttm_start, _ = _window(as_of)
    period = pd.to_datetime(signals["period_start"])
    rows = ((period <= ttm_start) | (period > end)) & signals["account_id"].isin(
        account_ids
    )
    if not rows.any():
        return outside

    days = (period[rows] - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)
    spans = (
        pd.DataFrame({"account_id": signals.loc[rows, "account_id"], "day": days})
        .groupby("account_id")["day"]
        .agg(["min", "max"])
    )
    outside["first"] = spans["min"].astype(float).reindex(account_ids)
    outside["last"] = spans["max"].astype(float).reindex(account_ids)
    return outside


def _revenue_converted(
    *,
    revenue: pd.DataFrame,
    rates: pd.DataFrame | None,
    reporting_currency: str,
    account_ids: pd.Index,
    as_of: date | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the lines in the reporting currency, and the lines left out.

    Rows keep their order, so sums add up in the same order as before. The
    second frame counts, per account (rows) and currency (columns), the
    lines of the TTM and prior windows that no stored rate converts.
    """
    empty = pd.DataFrame(index=account_ids)
    match = rates_on_or_before(
        currencies=revenue["currency"],
        days=revenue["quarter_start"],
        rates=rates,
        reporting_currency=reporting_currency,
    )
    if not match.foreign.any():
        return revenue, empty

    factor = np.ones(len(revenue))
    found = match.position >= 0
    if rates is not None and found.any():
        factor[found] = rates["rate"].astype(float).to_numpy()[match.position[found]]
    factor[match.missing] = np.nan

    missing = np.isnan(factor)
    converted = revenue[~missing].copy()
    converted["amount"] = converted["amount"] * factor[~missing]
    if not missing.any() or as_of is None:
        return converted, empty

    end, _, prior_start = _window(as_of)
    lost = revenue[missing]
    lost = lost[
        (lost["quarter_start"] > prior_start)
        & (lost["quarter_start"] <= end)
        & lost["account_id"].isin(account_ids)
    ]
    counts = (
        lost.groupby(["account_id", "currency"], observed=True)
        .size()
        .unstack(fill_value=0)
        if len(lost)
        else pd.DataFrame()
    )
    counts = counts.reindex(index=account_ids, fill_value=0).astype(float)
    return converted, counts[sorted(counts.columns)]


def _relationship_health(
    account_ids: pd.Index, signals: pd.DataFrame | None, as_of: date | None
) -> pd.DataFrame:
    """Return per account its latest health parts in the TTM window and index.

    Columns: satisfaction, nps, tickets (NaN when the window has none) and
    relationship_health, the mean of the parts' percentiles among accounts
    that have each part (NaN for an account with no part at all).
    """
    health = pd.DataFrame(
        np.nan, index=account_ids, columns=[*HEALTH_PARTS, HEALTH_INPUT]
    )
    if signals is None or signals.empty or as_of is None:
        return health

    end, ttm_start, _ = _window(as_of)
    period = pd.to_datetime(signals["period_start"])
    inside = signals[
        (period > ttm_start) & (period <= end) & signals["account_id"].isin(account_ids)
    ]
    if inside.empty:
        return health

    parts = inside[["account_id", *HEALTH_PARTS]].copy()
    for part in HEALTH_PARTS:
        parts[part] = pd.to_numeric(parts[part], errors="coerce").astype(float)
    parts["period_start"] = period[inside.index]
    # last() skips blanks: each part from the latest period that has it.
    latest = (
        parts.sort_values(["account_id", "period_start"], kind="stable")
        .groupby("account_id")[list(HEALTH_PARTS)]
        .last()
    )
    ranks = pd.DataFrame(index=latest.index)
    for part in HEALTH_PARTS:
        known = latest[part].dropna()
        # Fewer tickets is the healthier relationship.
        ranked = percentile_score(-known if part == "tickets" else known)
        ranks[part] = ranked.reindex(latest.index)
    latest[HEALTH_INPUT] = ranks.mean(axis=1, skipna=True)
    return latest.reindex(account_ids)


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
    columns = ["account_id", "product_id", "quarter_start", "amount"]
    has_currency = "currency" in revenue.columns
    revenue = revenue[[*columns, "currency"] if has_currency else columns].copy()
    revenue["quarter_start"] = pd.to_datetime(revenue["quarter_start"])
    revenue["amount"] = pd.to_numeric(revenue["amount"]).astype(float).fillna(0.0)
    revenue["currency"] = (
        _currency_codes(revenue["currency"])
        if has_currency
        else pd.Categorical.from_codes(np.zeros(len(revenue), dtype="int8"), [""])
    )
    return revenue


def _currency_codes(values: pd.Series) -> pd.Categorical:
    """Return currencies trimmed and upper-cased, blank for missing, as codes.

    Cleaned once per distinct value, not once per line.
    """
    categorical = (
        values.array
        if isinstance(values.dtype, pd.CategoricalDtype)
        else pd.Categorical(values)
    )
    cleaned = [str(code).strip().upper() for code in categorical.categories]
    uniques = sorted({*cleaned, ""})
    lookup = np.array([uniques.index(code) for code in [*cleaned, ""]])
    # A missing value has code -1, which picks the blank at the end.
    return pd.Categorical.from_codes(lookup[categorical.codes], categories=uniques)


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

    end, ttm_start, prior_start = _window(as_of)
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
    reporting_currency: str = REPORTING_CURRENCY,
) -> list[dict]:
    """Return, per account, every input's raw, normalised, weight and points."""
    # tolist() turns whole columns into Python numbers at C speed; only the
    # dict assembly is a loop, and it runs where breakdowns are shown.
    column = {name: components[name].tolist() for name in components.columns}
    return [
        breakdown_dict(
            values={name: values[row] for name, values in column.items()},
            axis_weights=axis_weights,
            input_status=input_status or {},
            reporting_currency=reporting_currency,
        )
        for row in range(len(components))
    ]


def _plain(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return None if np.isnan(number) else number


def _day_text(days: float) -> str:
    """Return a day count since 1970-01-01 as an ISO date."""
    return (date(1970, 1, 1) + timedelta(days=int(days))).isoformat()


def breakdown_dict(
    *,
    values: dict[str, object],
    axis_weights: dict[str, dict[str, float]],
    input_status: dict[str, str],
    reporting_currency: str = REPORTING_CURRENCY,
) -> dict:
    """Return one account's nested breakdown from its flat component values.

    `values` maps the component column names (ScoringResult.components) to
    the account's numbers and labels. Shares are the account's own: an
    account without a support signal shares its performance among the
    other inputs. A missing number (NaN) becomes None.
    """
    has_health = bool(values.get(f"{HEALTH_INPUT}_available", 1.0))
    statuses = dict(input_status)
    if not has_health and statuses.get(HEALTH_INPUT) in (None, InputStatus.USED):
        statuses[HEALTH_INPUT] = InputStatus.NO_SIGNAL
    shares = input_shares(axis_weights=axis_weights, input_status=statuses)

    breakdown: dict = {}
    for axis, inputs in axis_weights.items():
        breakdown[axis] = {}
        for name, weight in inputs.items():
            part = {
                "raw": _plain(values[f"{name}_raw"]),
                "normalised": _plain(values[f"{name}_normalised"]),
                "weight": weight,
                "share": shares[name],
                "points": _plain(values[f"{name}_points"]),
                "status": statuses.get(name, InputStatus.USED),
            }
            if name == GROWTH_INPUT:
                part["prior_revenue"] = _plain(values["prior_revenue"])
            if name == HEALTH_INPUT:
                for health_part in HEALTH_PARTS:
                    part[health_part] = _plain(values[f"health_{health_part}"])
                for end in ("first", "last"):
                    day = _plain(values.get(f"health_outside_{end}", np.nan))
                    part[f"outside_{end}"] = None if day is None else _day_text(day)
            breakdown[axis][name] = part
    breakdown["peer_group"] = {
        "level": str(values["peer_level"]),
        "sector": str(values["peer_sector"]),
        "size_band": str(values["peer_size_band"]),
        "peers": int(values["peer_count"]),  # type: ignore[call-overload]
        "spend_per_musd": _plain(values["peer_rate"]),
        "expected_spend": _plain(values["expected_spend"]),
    }
    breakdown["currency"] = reporting_currency
    breakdown["left_out"] = {
        name.removeprefix("left_out_"): int(count)  # type: ignore[call-overload]
        for name, count in sorted(values.items())
        if name.startswith("left_out_") and count
    }
    return breakdown


# Breakdown columns holding labels: stored as codes into the layout's lists.
LABEL_COLUMNS = ("peer_level", "peer_sector", "peer_size_band")


def breakdown_columns(result: ScoringResult) -> tuple[dict, list[np.ndarray]]:
    """Return the run's breakdown layout and its columns as float arrays.

    Each account's breakdown is then one row of numbers (AccountScore's
    breakdown), read back into the nested dict by breakdown_from_layout.
    """
    columns: list[np.ndarray] = []
    names: list[str] = []
    labels: dict[str, list[str]] = {}
    for name in result.components.columns:
        values = result.components[name]
        if name in LABEL_COLUMNS:
            codes, uniques = pd.factorize(values)
            labels[name] = [str(label) for label in uniques]
            values = codes
        names.append(name)
        columns.append(np.asarray(values, dtype="float64"))
    layout = {
        "columns": names,
        "labels": labels,
        "axis_weights": result.axis_weights,
        "input_status": result.input_status,
        "reporting_currency": result.reporting_currency,
    }
    return layout, columns


def breakdown_from_layout(*, values: list[float], layout: dict) -> dict:
    """Return one account's nested breakdown from its stored numbers."""
    named: dict[str, object] = dict(zip(layout["columns"], values, strict=True))
    for name, texts in layout.get("labels", {}).items():
        named[name] = texts[int(named[name])]  # type: ignore[call-overload]
    return breakdown_dict(
        values=named,
        axis_weights=layout["axis_weights"],
        input_status=layout.get("input_status", {}),
        reporting_currency=layout.get("reporting_currency", REPORTING_CURRENCY),
    )
