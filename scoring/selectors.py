"""Reads for scores, runs and the portfolio page."""

import statistics
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Count, F, QuerySet, Value, Window
from django.db.models.functions import Floor, Least, RowNumber

from accounts.models import Account, User
from accounts.selectors import account_list_for_user
from scoring.charts import (
    DENSITY_BINS,
    DENSITY_FROM,
    POINT_COLUMNS,
    TOP_ACCOUNTS,
    quadrant_density_build,
    quadrant_figure_filter,
    quadrant_scatter_build,
)
from scoring.models import AccountScore, ScoreRun


@dataclass(frozen=True)
class HiddenGold:
    """An account the revenue tiering ranks low but whose potential is high."""

    score: AccountScore
    threshold: float
    reason: str


def account_score_list_for_user(*, user: User, run: ScoreRun) -> list[AccountScore]:
    """Return the run's scores of the accounts this user may see, by name."""
    visible = account_list_for_user(user=user).values("pk")
    return list(
        AccountScore.objects.filter(run=run, account__in=visible)
        .select_related("account")
        .order_by("account__name")
    )


def potential_top_quartile_threshold(*, potentials: list[float]) -> float | None:
    """Return the potential at or above which an account is in the top quarter."""
    if not potentials:
        return None
    if len(potentials) == 1:
        return potentials[0]
    return statistics.quantiles(potentials, n=4, method="inclusive")[2]


def _strongest_potential_input(score: AccountScore) -> str | None:
    inputs = (score.components or {}).get("potential") or {}
    if not isinstance(inputs, dict) or not inputs:
        return None
    name, part = max(
        inputs.items(),
        key=lambda item: (
            (item[1] or {}).get("points", 0) if isinstance(item[1], dict) else 0
        ),
    )
    if not isinstance(part, dict) or not score.potential:
        return None
    share = 100 * float(part.get("points", 0)) / score.potential
    return f"{name.replace('_', ' ')} gives {share:.0f} % of its potential"


def hidden_gold_list(*, scores: list[AccountScore]) -> list[HiddenGold]:
    """Return B and C accounts whose potential is in the top quarter of these.

    The quarter is taken over the scores given, so a rep's panel compares
    their own accounts with each other, as the page's chart does.
    """
    threshold = potential_top_quartile_threshold(
        potentials=[score.potential for score in scores]
    )
    if threshold is None:
        return []

    found = []
    for score in scores:
        if score.tier == AccountScore.Tier.A or score.potential < threshold:
            continue
        reason = (
            f"Tier {score.tier} on revenue alone ({score.ttm_revenue:,.0f} USD in "
            f"the last 12 months), yet potential {score.potential:.0f} is in the "
            f"top quarter (at or above {threshold:.0f})"
        )
        strongest = _strongest_potential_input(score)
        if strongest:
            reason += f"; {strongest}"
        found.append(HiddenGold(score=score, threshold=threshold, reason=reason + "."))
    return sorted(found, key=lambda gold: -gold.score.potential)


PORTFOLIO_SORTS = {
    "name": lambda score: score.account.name.lower(),
    "sector": lambda score: score.account.sector.lower(),
    "country": lambda score: score.account.country.lower(),
    "revenue": lambda score: score.ttm_revenue,
    "performance": lambda score: score.performance,
    "potential": lambda score: score.potential,
    "quadrant": lambda score: score.quadrant,
    "tier": lambda score: score.tier,
}


def portfolio_table(
    *,
    scores: list[AccountScore],
    quadrant: str = "",
    tier: str = "",
    sector: str = "",
    search: str = "",
    sort: str = "name",
) -> list[AccountScore]:
    """Return the scores that pass the table's filters, in the asked order.

    `sort` is a column name, with a leading "-" for descending; an unknown
    column sorts by name.
    """
    needle = search.strip().lower()
    rows = [
        score
        for score in scores
        if (not quadrant or score.quadrant == quadrant)
        and (not tier or score.tier == tier)
        and (not sector or score.account.sector == sector)
        and (not needle or needle in score.account.name.lower())
    ]
    descending = sort.startswith("-")
    key = PORTFOLIO_SORTS.get(sort.lstrip("-"), PORTFOLIO_SORTS["name"])
    return sorted(rows, key=key, reverse=descending)


def score_run_current() -> ScoreRun | None:
    """Return the run whose scores the pages show, if any."""
    return ScoreRun.objects.filter(is_current=True).first()


def score_run_pending() -> ScoreRun | None:
    """Return the newest pending or running run newer than the current one."""
    runs = ScoreRun.objects.filter(
        status__in=[ScoreRun.Status.PENDING, ScoreRun.Status.RUNNING]
    )
    current = score_run_current()
    if current is not None:
        runs = runs.filter(pk__gt=current.pk)
    return runs.order_by("-pk").first()


def quadrant_figure_for_user(*, user: User, run: ScoreRun) -> dict | None:
    """Return the run's figure with only the accounts the user may see.

    Up to DENSITY_FROM scored accounts the stored figure holds every point
    (customdata is the account id): one query finds the visible ids and
    every trace is cut to them, legend counts included. Beyond that the
    stored figure is the density of all accounts, which is what a user who
    sees everything gets; anyone else gets a figure built from the run's
    stored scores of their accounts (never recomputed): a scatter when they
    see up to DENSITY_FROM accounts, else a density aggregated in SQL with
    their top accounts of each quadrant drawn. That is at most four queries at any size.
    """
    if not run.figure:
        return None

    visible = account_list_for_user(user=user)
    if run.accounts_scored <= DENSITY_FROM:
        ids = set(visible.values_list("pk", flat=True))
        return quadrant_figure_filter(figure=run.figure, visible_ids=ids)
    if user.is_authenticated and user.is_active and user.sees_all_accounts:
        return run.figure

    scores = AccountScore.objects.filter(run=run, account__in=visible.values("pk"))
    thresholds = {
        "performance_threshold": float(run.scoring_model.performance_threshold),
        "potential_threshold": float(run.scoring_model.potential_threshold),
    }
    totals = dict(scores.order_by().values_list("quadrant").annotate(count=Count("pk")))
    if sum(totals.values()) <= DENSITY_FROM:
        return quadrant_scatter_build(points=_score_points(scores), **thresholds)

    # Bin in the database: the grid is DENSITY_BINS cells of equal width
    # over 0-100, a score of exactly 100 in the last cell, as numpy does.
    width = 100.0 / DENSITY_BINS
    last = float(DENSITY_BINS - 1)
    cells = (
        scores.order_by()
        .annotate(
            row=Least(Floor(F("potential") / width), Value(last)),
            column=Least(Floor(F("performance") / width), Value(last)),
        )
        .values_list("row", "column")
        .annotate(count=Count("pk"))
    )
    counts = np.zeros((DENSITY_BINS, DENSITY_BINS), dtype="int64")
    for row, column, count in cells:
        counts[int(row), int(column)] = count
    top = pd.concat(
        [
            _score_points(
                scores.annotate(
                    place=Window(
                        RowNumber(),
                        partition_by=F("quadrant"),
                        order_by=[F(column).desc(), F("account_id").asc()],
                    )
                ).filter(place__lte=TOP_ACCOUNTS)
            )
            for column in ("potential", "ttm_revenue")
        ]
    )
    return quadrant_density_build(
        counts=counts,
        quadrant_totals=totals,
        top=top[~top.index.duplicated()],
        **thresholds,
    )


def _score_points(scores: QuerySet[AccountScore]) -> pd.DataFrame:
    rows = scores.values_list(
        "account_id",
        "account__name",
        "performance",
        "potential",
        "ttm_revenue",
        "tier",
        "quadrant",
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["account_id", *POINT_COLUMNS]
    ).set_index("account_id")
    frame["ttm_revenue"] = frame["ttm_revenue"].astype(float)
    return frame


def account_score_current(*, account: Account) -> AccountScore | None:
    """Return the account's score in the current run, if it has one."""
    return (
        AccountScore.objects.filter(account=account, run__is_current=True)
        .select_related("run")
        .first()
    )
