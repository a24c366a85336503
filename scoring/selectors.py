"""Reads for scores, runs and the portfolio page."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Floor, Least, RowNumber
from django.utils import timezone

from accounts.currency import money_text
from accounts.import_checks import ImportCheckWarning, WindowMove
from accounts.models import Account, RevenueLine, User
from accounts.selectors import (
    account_list_for_user,
    account_name_prefix_key,
    account_name_search,
    account_visibility_key,
)
from config.compiled_queries import queryset_rows
from scoring.charts import (
    DENSITY_BINS,
    DENSITY_FROM,
    POINT_COLUMNS,
    TOP_ACCOUNTS,
    quadrant_density_build,
    quadrant_figure_filter,
    quadrant_figure_without_webgl,
    quadrant_scatter_build,
)
from scoring.computation import window_bounds, window_end, window_label
from scoring.models import AccountScore, ScoreRun, ScoringModel


@dataclass(frozen=True)
class HiddenGold:
    """An account the revenue tiering ranks low but whose potential is high."""

    score: AccountScore
    threshold: float
    reason: str


PAGE_SIZE = 50
HIDDEN_GOLD_SHOWN = 10
# Table column -> ORM field; every order ends with the account id, so pages
# never overlap or skip a row.
PORTFOLIO_SORTS = {
    "name": "account__name",
    "sector": "account__sector",
    "country": "account__country",
    "revenue": "ttm_revenue",
    "performance": "performance",
    "potential": "potential",
    "quadrant": "quadrant",
    "tier": "tier",
}


# The upper-cased name a short search matches and pages by
# (accounts.selectors.account_name_prefix_key), annotated under this name.
NAME_KEY = "account_name_key"

# Columns of a few values, so most rows tie: a cursor page compares the
# row (column, account) with the cursor's, as their index orders them.
TIED_SORTS = frozenset({"quadrant", "tier"})

# A page number alone is read by OFFSET up to this page (the first 1,000
# rows); the pager's own links carry the account at the edge of the page
# instead, so a page reached by Next or Previous costs the same at any
# depth and any portfolio size.
OFFSET_PAGES = 20


@dataclass(frozen=True)
class PortfolioPage:
    """One page of the account table: its rows and where it sits."""

    rows: list[AccountScore]
    number: int
    has_previous: bool
    has_next: bool
    first: int
    last: int
    # The page number asked for was past OFFSET_PAGES, so this is that page.
    clamped: bool = False

    @property
    def previous_cursor(self) -> int | None:
        """Return the account the previous page ends before, or None for page 1."""
        if self.number <= 2 or not self.rows:
            return None
        return self.rows[0].account_id

    @property
    def next_cursor(self) -> int | None:
        return self.rows[-1].account_id if self.rows else None


def _sees_all(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.sees_all_accounts)


def account_score_queryset_for_user(
    *, user: User, run: ScoreRun
) -> QuerySet[AccountScore]:
    """Return the run's scores of the accounts this user may see, unevaluated.

    Access is account_list_for_user's; a user who sees everything gets the
    run's scores with no subquery, so the planner can walk indexes.
    """
    scores = AccountScore.objects.filter(run=run)
    if _sees_all(user):
        return scores
    return scores.filter(account__in=account_list_for_user(user=user).values("pk"))


def account_score_list_for_user(*, user: User, run: ScoreRun) -> list[AccountScore]:
    """Return the run's scores of the accounts this user may see, by name."""
    return list(
        account_score_queryset_for_user(user=user, run=run)
        .select_related("account")
        .order_by("account__name")
    )


def portfolio_visible_count(*, user: User, run: ScoreRun) -> int:
    """Return how many of the run's scores the user may see.

    Someone who sees everything gets the count stored on the run (no COUNT
    over the table); anyone else counts their own accounts' scores.
    """
    if _sees_all(user) and run.accounts_scored:
        return run.accounts_scored
    return account_score_queryset_for_user(user=user, run=run).count()


def portfolio_sector_list(*, user: User, run: ScoreRun) -> list[str]:
    """Return the sectors of the accounts the user may see, for the filter."""
    stored = (run.summary or {}).get("sectors")
    if _sees_all(user) and stored is not None:
        return list(stored)
    return sorted(
        set(
            account_list_for_user(user=user)
            .order_by()
            .values_list("sector", flat=True)
            .distinct()
        )
    )


# A run's scores never change once it finished, so a summary of them over
# one set of accounts holds until the set changes; this only bounds how long
# summaries of runs no longer shown stay in the cache.
SUMMARY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class PortfolioSummary:
    """What the portfolio page says about all the accounts the user sees."""

    count: int
    potential_threshold: float | None
    sectors: list[str]


def portfolio_summary_for_user(
    *, user: User, run: ScoreRun, scores: QuerySet[AccountScore]
) -> PortfolioSummary:
    """Return the count, top-quartile potential and sectors the user sees.

    Someone who sees everything reads the figures stored on the run. Anyone
    else's are computed once per run and set of visible accounts (three
    queries through the team memberships) and then read from the cache,
    keyed by the run and account_visibility_key (one small query).
    """
    stored = run.summary or {}
    if (
        _sees_all(user)
        and run.accounts_scored
        and stored.get("sectors") is not None
        and stored.get("potential_quartile") is not None
    ):
        return PortfolioSummary(
            count=run.accounts_scored,
            potential_threshold=float(stored["potential_quartile"]),
            sectors=list(stored["sectors"]),
        )

    # The creation time tells apart runs of the same id in databases that
    # were emptied and refilled (tests, the bench) and share one cache.
    key = (
        f"scoring:portfolio-summary:{run.pk}:{run.created_at.timestamp()}:"
        f"{account_visibility_key(user=user)}"
    )
    cached = cache.get(key)
    if cached is not None:
        return PortfolioSummary(**cached)

    count = portfolio_visible_count(user=user, run=run)
    summary = PortfolioSummary(
        count=count,
        potential_threshold=portfolio_potential_threshold(
            user=user, run=run, scores=scores, count=count
        ),
        sectors=portfolio_sector_list(user=user, run=run) if count else [],
    )
    cache.set(key, summary.__dict__, SUMMARY_SECONDS)
    return summary


def portfolio_page(
    *,
    scores: QuerySet[AccountScore],
    quadrant: str = "",
    tier: str = "",
    sector: str = "",
    search: str = "",
    sort: str = "name",
    page: int = 1,
    after: int | None = None,
    before: int | None = None,
    page_size: int = PAGE_SIZE,
) -> PortfolioPage:
    """Return one page of the scores that pass the filters, in the asked order.

    Filtering, sorting and paging happen in SQL. `sort` is a column name with
    a leading "-" for descending; an unknown column sorts by name. Every
    order ends with the account id, in the same direction, so rows that tie
    keep one order and an index on the column serves it.

    `after` or `before` name the account at the edge of the page the user
    came from: the rows are then read from there on (a keyset), not
    counted off from the top, and `page` only numbers them. Without one,
    `page` is read by OFFSET, up to OFFSET_PAGES. One query reads a row
    more than the page to know whether another follows, so nothing counts
    the whole table.
    """
    filtered = scores
    if quadrant:
        filtered = filtered.filter(quadrant=quadrant)
    if tier:
        filtered = filtered.filter(tier=tier)
    if sector:
        filtered = filtered.filter(account__sector=sector)
    descending = sort.startswith("-")
    field_name = PORTFOLIO_SORTS.get(sort.lstrip("-"), PORTFOLIO_SORTS["name"])
    key = account_name_prefix_key(search=search, field="account__name")
    if key is not None:
        filtered = filtered.annotate(**{NAME_KEY: key}).filter(
            **{f"{NAME_KEY}__startswith": search.strip().upper()}
        )
        if field_name == PORTFOLIO_SORTS["name"]:
            # By the key the search matched, so one index scan matches
            # and orders; the cursor's key is read from the scores too.
            field_name = NAME_KEY
            scores = scores.annotate(**{NAME_KEY: key})
    elif search.strip():
        filtered = filtered.filter(
            account_name_search(search=search, field="account__name")
        )
    cursor = after if after is not None else before
    if cursor is not None:
        keyset = _portfolio_keyset(
            filtered=filtered,
            scores=scores,
            field_name=field_name,
            descending=descending,
            cursor=cursor,
            forward=after is not None,
            page=page,
            page_size=page_size,
        )
        if keyset is not None:
            return keyset

    # A stale cursor (its account gone, or no longer shown) falls back to
    # the page number.
    clamped = page > OFFSET_PAGES
    number = min(max(page, 1), OFFSET_PAGES)
    offset = (number - 1) * page_size
    rows = list(
        _portfolio_ordered(filtered, field_name, descending=descending)[
            offset : offset + page_size + 1
        ]
    )
    shown = rows[:page_size]
    return PortfolioPage(
        rows=shown,
        number=number,
        has_previous=number > 1,
        has_next=len(rows) > page_size,
        first=offset + 1 if shown else 0,
        last=offset + len(shown),
        clamped=clamped,
    )


def _tiebreak(field_name: str) -> str:
    """Return the column that orders rows tying on the sorted one.

    A column of the account (sector, country) ties in long runs: those go
    by name, unique and beside it in the account's index, so a page deep
    in one sector starts at its cursor. The upper-cased name of a short
    search ties between names that differ only in case: by name too, its
    index's second column. Anything else goes by account id.
    """
    if field_name == NAME_KEY or (
        field_name.startswith("account__") and field_name != "account__name"
    ):
        return "account__name"
    return "account_id"


def _portfolio_ordered(
    scores: QuerySet[AccountScore], field_name: str, *, descending: bool
) -> QuerySet[AccountScore]:
    tiebreak = _tiebreak(field_name)
    if descending:
        order = [F(field_name).desc(), F(tiebreak).desc()]
    else:
        order = [F(field_name).asc(), F(tiebreak).asc()]
    return scores.select_related("account").order_by(*order)


def _row(*expressions: Any) -> Func:
    return Func(*expressions, template="(%(expressions)s)")


def _portfolio_keyset(
    *,
    filtered: QuerySet[AccountScore],
    scores: QuerySet[AccountScore],
    field_name: str,
    descending: bool,
    cursor: int,
    forward: bool,
    page: int,
    page_size: int,
) -> PortfolioPage | None:
    """Return the page after (or before) the cursor's row, None if it is gone.

    The cursor's sort value is read by a subquery of the scores the user
    may see, so a cursor naming someone else's account finds nothing. The
    extra "column >= value" lets PostgreSQL start its index scan there.
    """
    value = Subquery(scores.filter(account_id=cursor).values(field_name)[:1])
    # Walking back is walking forward in the reversed order.
    upward = forward != descending
    bound: Q | Func
    if field_name in TIED_SORTS:
        # (quadrant, account) > (its quadrant, its account): the index's
        # own order, so a page deep in one quadrant starts at its cursor
        # rather than after every account before it in that quadrant.
        bound = Func(
            _row(F(field_name), F("account_id")),
            _row(value, Value(cursor)),
            template="%(expressions)s",
            arg_joiner=" > " if upward else " < ",
            output_field=BooleanField(),
        )
        beyond = Q()
    elif _tiebreak(field_name) == "account__name":
        # (sector, name) > (its sector, its name): a row comparison, which
        # PostgreSQL starts from in the account's (sector, name) index.
        name = Subquery(scores.filter(account_id=cursor).values("account__name")[:1])
        bound = Func(
            _row(F(field_name), F("account__name")),
            _row(value, name),
            template="%(expressions)s",
            arg_joiner=" > " if upward else " < ",
            output_field=BooleanField(),
        )
        beyond = Q()
    elif upward:
        beyond = Q(**{f"{field_name}__gt": value}) | Q(
            **{field_name: value, "account_id__gt": cursor}
        )
        bound = Q(**{f"{field_name}__gte": value})
    else:
        beyond = Q(**{f"{field_name}__lt": value}) | Q(
            **{field_name: value, "account_id__lt": cursor}
        )
        bound = Q(**{f"{field_name}__lte": value})
    rows = list(
        _portfolio_ordered(
            filtered.filter(bound, beyond),
            field_name,
            descending=descending if forward else not descending,
        )[: page_size + 1]
    )
    if not rows:
        return None

    more = len(rows) > page_size
    shown = rows[:page_size]
    if forward:
        number = max(page, 2)
        has_previous, has_next = True, more
    else:
        shown.reverse()
        # Nothing before this page: it is the first, whatever the link said.
        number = max(page, 2) if more else 1
        has_previous, has_next = more, True
    first = (number - 1) * page_size + 1
    return PortfolioPage(
        rows=shown,
        number=number,
        has_previous=has_previous,
        has_next=has_next,
        first=first,
        last=first + len(shown) - 1,
    )


def quartile_from_sorted(*, lower: float, upper: float, count: int) -> float:
    """Return the top-quartile threshold from the two values around it.

    Same as statistics.quantiles(values, n=4, method="inclusive")[2]: with
    j, delta = divmod(3 * (count - 1), 4), the threshold is
    (v[j] * (4 - delta) + v[j + 1] * delta) / 4 over values sorted upwards;
    `lower` is v[j] and `upper` v[j + 1] (unused when delta is 0).
    """
    _, delta = divmod(3 * (count - 1), 4)
    if delta == 0:
        return lower
    return (lower * (4 - delta) + upper * delta) / 4


def potential_top_quartile_threshold(*, potentials: list[float]) -> float | None:
    """Return the potential at or above which an account is in the top quarter."""
    if not potentials:
        return None
    ordered = sorted(potentials)
    index, _ = divmod(3 * (len(ordered) - 1), 4)
    return quartile_from_sorted(
        lower=ordered[index],
        upper=ordered[min(index + 1, len(ordered) - 1)],
        count=len(ordered),
    )


def portfolio_potential_threshold(
    *, user: User, run: ScoreRun, scores: QuerySet[AccountScore], count: int
) -> float | None:
    """Return the top-quartile potential of the scores the user may see.

    Someone who sees everything gets the figure stored on the run; anyone
    else gets one query reading the two values around the quartile, by
    OFFSET over the potential order.
    """
    stored = (run.summary or {}).get("potential_quartile")
    if _sees_all(user) and stored is not None:
        return float(stored)
    if count <= 0:
        return None
    index, _ = divmod(3 * (count - 1), 4)
    values = list(
        scores.order_by("potential", "account_id").values_list("potential", flat=True)[
            index : index + 2
        ]
    )
    if not values:
        return None
    return quartile_from_sorted(lower=values[0], upper=values[-1], count=count)


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


def hidden_gold_list(
    *,
    scores: QuerySet[AccountScore],
    threshold: float | None,
    currency: str = "USD",
    limit: int = HIDDEN_GOLD_SHOWN,
) -> list[HiddenGold]:
    """Return B and C accounts whose potential is in the top quarter, best first.

    `threshold` is the top-quartile potential of the same scores
    (portfolio_potential_threshold), so a rep's panel compares their own
    accounts with each other, as the page's chart does. One query, at most
    `limit` rows.
    """
    if threshold is None:
        return []

    found = []
    rows = (
        scores.exclude(tier=AccountScore.Tier.A)
        .filter(potential__gte=threshold)
        .select_related("account")
        .order_by("-potential", "account_id")[:limit]
    )
    for score in rows:
        reason = (
            f"Tier {score.tier} on revenue alone "
            f"({money_text(score.ttm_revenue, currency)} in the last 12 "
            "months), yet potential "
            f"{score.potential:.0f} is in the top quarter (at or above "
            f"{threshold:.0f})"
        )
        strongest = _strongest_potential_input(score)
        if strongest:
            reason += f"; {strongest}"
        found.append(HiddenGold(score=score, threshold=threshold, reason=reason + "."))
    return found


def score_run_list() -> QuerySet[ScoreRun]:
    """Return every score run, newest first, with who and what started it."""
    return ScoreRun.objects.select_related(
        "scoring_model", "requested_by", "import_job"
    ).order_by("-pk")


def score_run_current() -> ScoreRun | None:
    """Return the run whose scores the pages show, if any."""
    return ScoreRun.objects.filter(is_current=True).first()


def score_run_current_and_pending() -> tuple[ScoreRun | None, ScoreRun | None]:
    """Return the current run and the newest pending or running one after it.

    One query for what score_run_current and score_run_pending give in two:
    the current run sorts first, then the newest waiting run above it. The
    stored chart is left in the database: the page and the progress poll
    never show it (the chart has its own URL), and it grows with the
    portfolio, 0.16 MB at 100,000 accounts and a 1.1 MB scatter at 10,000.
    """
    runs = queryset_rows("scoring.run_current_and_pending", _runs_current_and_pending)
    current = runs[0] if runs and runs[0].is_current else None
    pending = [run for run in runs if not run.is_current][:1]
    return current, pending[0] if pending else None


def _runs_current_and_pending() -> QuerySet[ScoreRun]:
    current_pk = ScoreRun.objects.filter(is_current=True).values("pk")[:1]
    waiting = Q(status__in=[ScoreRun.Status.PENDING, ScoreRun.Status.RUNNING]) & (
        Q(pk__gt=Subquery(current_pk)) | ~Exists(current_pk)
    )
    return (
        ScoreRun.objects.filter(Q(is_current=True) | waiting)
        .defer("figure")
        .order_by(F("is_current").desc(), "-pk")[:2]
    )


def score_run_pending(*, current: ScoreRun | None = None) -> ScoreRun | None:
    """Return the newest pending or running run newer than the current one.

    Pass the current run when it is already read, to spare a query.
    """
    runs = ScoreRun.objects.filter(
        status__in=[ScoreRun.Status.PENDING, ScoreRun.Status.RUNNING]
    )
    current = current or score_run_current()
    if current is not None:
        runs = runs.filter(pk__gt=current.pk)
    return runs.order_by("-pk").first()


def quadrant_figure_for_user(
    *, user: User, run: ScoreRun, webgl: bool = True
) -> dict | None:
    """Return the run's figure with only the accounts the user may see.

    A user who sees everything gets the stored figure as it is, with no
    query. Up to DENSITY_FROM scored accounts the stored figure holds every
    point (customdata is the account id): for anyone else one query finds
    the visible ids and every trace is cut to them, legend counts included.
    Beyond that the stored figure is the density of all accounts; anyone
    else gets a figure built from the run's stored scores of their accounts
    (never recomputed): a scatter when they see up to DENSITY_FROM accounts,
    else a density aggregated in SQL with their top accounts of each
    quadrant drawn. That is at most four queries at any size.

    With `webgl` False the figure holds no WebGL trace: a scatter past
    SVG_POINTS_MAX markers becomes the density view of the same accounts,
    built from the stored scores in at most four more queries.
    """
    if not run.figure:
        return None

    figure = _quadrant_figure_visible(user=user, run=run, stored=run.figure)
    if webgl:
        return figure
    flat = quadrant_figure_without_webgl(figure=figure)
    if flat is not None:
        return flat
    scores = AccountScore.objects.filter(run=run)
    if not _sees_all(user):
        visible = account_list_for_user(user=user)
        scores = scores.filter(account__in=visible.values("pk"))
    totals = dict(scores.order_by().values_list("quadrant").annotate(count=Count("pk")))
    return _quadrant_density_query(scores=scores, totals=totals, run=run)


def _quadrant_figure_visible(*, user: User, run: ScoreRun, stored: dict) -> dict:
    if _sees_all(user):
        return stored
    visible = account_list_for_user(user=user)
    if run.accounts_scored <= DENSITY_FROM:
        ids = set(visible.values_list("pk", flat=True))
        return quadrant_figure_filter(figure=stored, visible_ids=ids)

    scores = AccountScore.objects.filter(run=run, account__in=visible.values("pk"))
    totals = dict(scores.order_by().values_list("quadrant").annotate(count=Count("pk")))
    if sum(totals.values()) <= DENSITY_FROM:
        return quadrant_scatter_build(
            points=_score_points(scores),
            currency=_quadrant_currency(run=run),
            **_quadrant_thresholds(run=run),
        )
    return _quadrant_density_query(scores=scores, totals=totals, run=run)


def _quadrant_currency(*, run: ScoreRun) -> str:
    return run.reporting_currency


def _quadrant_thresholds(*, run: ScoreRun) -> dict[str, float]:
    return {
        "performance_threshold": float(run.scoring_model.performance_threshold),
        "potential_threshold": float(run.scoring_model.potential_threshold),
    }


def _quadrant_density_query(
    *, scores: QuerySet[AccountScore], totals: dict[str, int], run: ScoreRun
) -> dict:
    """Return the density view of these scores, binned and ranked in SQL."""
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
        currency=_quadrant_currency(run=run),
        **_quadrant_thresholds(run=run),
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


def scoring_window_move_check() -> Callable[[], list[ImportCheckWarning]]:
    """Return an import check: will the import move the scoring window?

    Before the dry run writes: the window the active model would score now.
    After: the window with the import's lines, and if it moved, the warning
    with both windows and how many accounts with revenue would have none in
    the new one. A model with a fixed score_as_of has a window no import
    moves.
    """
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is not None and model.score_as_of is not None:
        return lambda: []

    before = _revenue_as_of()

    def after() -> list[ImportCheckWarning]:
        now = _revenue_as_of()
        if before is None or now is None or now == before:
            return []
        idle = idle_account_count(as_of=now)
        text = window_move_warning(before=before, after=now, idle_accounts=idle)
        move = WindowMove(before=before, after=now, idle_accounts=idle)
        return [ImportCheckWarning(text, confirm=idle > 0, window=move)]

    return after


def scoring_window_forecast(reach: Mapping[date, int]) -> list[ImportCheckWarning]:
    """Return the window warning of an upload with revenue in `reach`.

    For an upload too large for a dry run. `reach` counts the accounts the
    upload gives revenue to, by quarter start; added to the stored counts,
    the window ends where a score run after the import would end it, by the
    same rule (quarters after today left out). The
    sum may count an account twice in a quarter; the accounts left without
    revenue are counted from what is stored, before the upload adds any.
    """
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is not None and model.score_as_of is not None:
        return []
    stored = _revenue_reach()
    before = _window_end(stored)
    combined = dict(stored)
    for quarter, accounts in reach.items():
        combined[quarter] = combined.get(quarter, 0) + accounts
    after = _window_end(combined)
    if before is None or after is None or after == before:
        return []
    idle = idle_account_count(as_of=after)
    text = (
        window_move_warning(before=before, after=after, idle_accounts=idle)
        + " (Counted from the revenue stored now: this upload's own lines may "
        "give some of them revenue in the new window.)"
    )
    move = WindowMove(before=before, after=after, idle_accounts=idle)
    return [ImportCheckWarning(text, confirm=idle > 0, window=move)]


def revenue_last_date() -> date | None:
    """Return the last day of the latest quarter with revenue, if any."""
    return _revenue_as_of()


def _revenue_as_of() -> date | None:
    """Return where a score run now would end the window: see window_end."""
    return _window_end(_revenue_reach())


def _revenue_reach() -> dict[date, int]:
    """Count the accounts with revenue in each quarter, by quarter start."""
    reach = (
        RevenueLine.objects.order_by()
        .values("quarter_start")
        .annotate(accounts=Count("account_id", distinct=True))
    )
    return {row["quarter_start"]: row["accounts"] for row in reach}


def _window_end(reach: Mapping[date, int]) -> date | None:
    if not reach:
        return None
    return window_end(pd.Series(dict(reach)), today=timezone.localdate())


def idle_account_count(*, as_of: date) -> int:
    """Count the accounts with revenue lines, none of them in the window.

    The engine's idle_accounts, counted in the database.
    """
    after, until = window_bounds(as_of)
    return (
        RevenueLine.objects.order_by()
        .values("account_id")
        .annotate(
            inside=Count(
                "pk", filter=Q(quarter_start__gt=after, quarter_start__lte=until)
            )
        )
        .filter(inside=0)
        .count()
    )


def window_move_warning(*, before: date, after: date, idle_accounts: int) -> str:
    """Return the warning of an import that moves the scoring window."""
    accounts = "account" if idle_accounts == 1 else "accounts"
    return (
        f"This import moves the scoring window from {window_label(before)} to "
        f"{window_label(after)}: {idle_accounts:,} {accounts} with revenue would "
        "have none in the new window and score as if they bought nothing. The "
        "import keeps the window unless you choose to move it."
    )
