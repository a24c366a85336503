"""The manager dashboard: figures over the team's accounts, and what is behind them.

Every figure is a count with the exact set of accounts behind it, so the page
can link each number to those accounts. The figures are computed by the plain
functions in the first half of this module from plain data; the second half
loads that data in a fixed number of queries, whatever the portfolio's size.
"""

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cached_property
from typing import Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import (
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from accounts.currency import REPORTING_CURRENCY
from accounts.models import (
    Account,
    AccountTeamMember,
    ChangeRecord,
    Product,
    User,
)
from accounts.selectors import (
    account_list_for_user,
    whitespace_bought_since,
    whitespace_bought_sql,
)
from config.bounds import query_id
from plans.calendar import (
    FiscalQuarter,
    fiscal_quarter_for,
    fiscal_quarters_ending_with,
    local_date,
    organisation_zone,
)
from plans.exports import Cell, Table
from plans.models import (
    Action,
    Alignment,
    Checkpoint,
    ExternalForce,
    GateOverride,
    ManagerReview,
    Plan,
    Pursuit,
    PursuitStage,
    Strategy,
)
from plans.selectors import ITEM_KINDS, OUTCOME_QUARTERS, pursuit_outcome_counts_in
from scoring.models import AccountScore, ScoreRun
from stakeholders.coverage import BLANK_CHARACTERS, HIGH_INFLUENCE
from stakeholders.models import (
    Activity,
    Stakeholder,
)
from stakeholders.selectors import role_unheld_counts
from stakeholders.selectors import stale_days as stakeholder_stale_days

QUARTERS_SHOWN = OUTCOME_QUARTERS
# Tables on the page stop here; the drill-down and the exports have every row.
ROWS_SHOWN = 50
# A plan counts as complete enough at this share of fresh, filled sections.
COMPLETE_ENOUGH = 70
# Up to this many accounts the queries name them; beyond, they read them
# through the access rule as a subquery. A short list lets PostgreSQL look
# each account up by index (a manager's 240 took 367 ms at p50 as a list,
# 524 ms as a subquery), while building a list of 100,000 ids cost Django
# about 45 s a request.
LITERAL_IDS_MAX = 5_000
# The accounts a query reads: their ids, or a subquery giving them.
AccountIds = models.QuerySet | list[int]
# A plan's sections, in the order the completeness measure lists them.
SECTION_NAMES = (
    "Summary",
    "Strategies",
    "Solution alignment",
    "Pursuits",
    "Open actions",
    "People",
    "Manager review",
)

# Figure keys whose accounts the drill-down lists; per-quarter keys add
# ".<first day of the quarter>".
FIGURE_TITLES = {
    "accounts": "Accounts on the dashboard",
    "quadrant.grow": "Grow quadrant",
    "quadrant.expand": "Expand quadrant",
    "quadrant.maintain": "Maintain quadrant",
    "quadrant.monitor": "Monitor quadrant",
    "quadrant.unscored": "Not scored yet",
    "quadrant.moved": "Changed quadrant over the quarters shown",
    "whitespace.open": "Open whitespace cells at the start of",
    "whitespace.pursued": "Whitespace cells with a pursuit in",
    "whitespace.won": "Whitespace cells won in",
    "coverage.missing_role": "Expected roles with no named person",
    "coverage.unowned": "Important people with no owner",
    "coverage.stale": "Relationships going stale",
    "coverage.important": "Important people",
    "sentiment.2": "Allies",
    "sentiment.1": "Supporters",
    "sentiment.0": "Neutral",
    "sentiment.-1": "Sceptics",
    "sentiment.-2": "Opponents",
    "execution.ahead": "Pursuits claimed ahead of validated checkpoints",
    "execution.overridden": "Gates overridden",
    "execution.overdue": "Overdue actions",
    "execution.untouched": "Plans not touched recently",
    "execution.forces": "External forces putting items at risk",
    "execution.no_plan": "Accounts without an open plan",
    "outcome.won": "Pursuits won in",
    "outcome.lost": "Pursuits lost in",
    "outcome.no_decision": "Pursuits ending in no decision in",
    "effort.waiting": "Waiting: high potential, little effort",
    "effort.tapped": "Tapped out: low potential, much effort",
    "plans.incomplete": "Plans under the completeness bar",
}
# Each title that names what its figure counts, for a count of one: beside
# its count the title agrees with it ("1 Gate overridden").
FIGURE_SINGULARS = {
    "accounts": "Account on the dashboard",
    "whitespace.open": "Open whitespace cell at the start of",
    "whitespace.pursued": "Whitespace cell with a pursuit in",
    "whitespace.won": "Whitespace cell won in",
    "coverage.missing_role": "Expected role with no named person",
    "coverage.unowned": "Important person with no owner",
    "coverage.stale": "Relationship going stale",
    "coverage.important": "Important person",
    "sentiment.2": "Ally",
    "sentiment.1": "Supporter",
    "sentiment.-1": "Sceptic",
    "sentiment.-2": "Opponent",
    "execution.ahead": "Pursuit claimed ahead of validated checkpoints",
    "execution.overridden": "Gate overridden",
    "execution.overdue": "Overdue action",
    "execution.untouched": "Plan not touched recently",
    "execution.forces": "External force putting items at risk",
    "execution.no_plan": "Account without an open plan",
    "outcome.won": "Pursuit won in",
    "outcome.lost": "Pursuit lost in",
    "outcome.no_decision": "Pursuit ending in no decision in",
    "plans.incomplete": "Plan under the completeness bar",
}
# What a figure counts, in a sentence, where its title is no noun.
FIGURE_NOUNS = {"sentiment.0": ("neutral person", "neutral people")}
# The figures that count accounts: their count is their number of accounts.
ACCOUNT_FIGURES = frozenset(
    {
        "accounts",
        *(f"quadrant.{quadrant}" for quadrant in AccountScore.Quadrant.values),
        "quadrant.unscored",
        "quadrant.moved",
        "execution.no_plan",
        "effort.waiting",
        "effort.tapped",
    }
)


# -- Plain data in -----------------------------------------------------------


@dataclass(frozen=True)
class ScoreFact:
    account_id: int
    performance: float
    potential: float
    quadrant: str
    tier: str


@dataclass(frozen=True)
class PursuitFact:
    account_id: int
    product_id: int
    outcome: str
    created_on: date
    closed_on: date | None
    claimed: int = 0
    validated: int = 0


# -- Plain data out ----------------------------------------------------------


@dataclass
class Figure:
    key: str
    title: str
    count: int
    account_ids: set[int] = field(default_factory=set)
    # How many accounts are behind it when account_ids were left out (a
    # stored summary keeps them apart and pages them); None: len(account_ids).
    accounts: int | None = None

    @property
    def account_count(self) -> int:
        return len(self.account_ids) if self.accounts is None else self.accounts

    @property
    def kind(self) -> str:
        """Return the key without its quarter: "outcome.won" of each quarter."""
        return ".".join(self.key.split(".")[:2])

    @property
    def label(self) -> str:
        """Return the title as it reads beside the count, agreeing with it."""
        singular = FIGURE_SINGULARS.get(self.kind, self.title)
        return ngettext(singular, self.title, self.count)

    @property
    def noun(self) -> str:
        """Return what the figure counts, as it reads after the count."""
        if self.kind in FIGURE_NOUNS:
            return ngettext(*FIGURE_NOUNS[self.kind], self.count)
        return self.label[:1].lower() + self.label[1:]


@dataclass
class SectionState:
    name: str
    state: str  # "fresh", "stale" or "missing"
    last_at: date | None


@dataclass
class Completeness:
    plan_id: int
    account_id: int
    percent: int
    # Each section's last day, in SECTION_NAMES' order, and the first day
    # that counts as fresh: the sections are told from them when shown, so
    # a dashboard of 100,000 plans builds and stores no section objects.
    days: tuple[date | None, ...]
    fresh_from: date

    @property
    def states(self) -> list[str]:
        """Return each section's state, in SECTION_NAMES' order."""
        return [section_state(last, fresh_from=self.fresh_from) for last in self.days]

    @property
    def sections(self) -> list[SectionState]:
        return [
            SectionState(name, state, last)
            for name, state, last in zip(
                SECTION_NAMES, self.states, self.days, strict=True
            )
        ]


def section_state(last: date | None, *, fresh_from: date) -> str:
    """Return "fresh", "stale" or "missing" for a section last changed then."""
    if last is None:
        return "missing"
    return "fresh" if last >= fresh_from else "stale"


def _figure(key: str, items: Iterable[int]) -> Figure:
    """Return a figure counting these items, each named by its account id."""
    ids = list(items)
    return Figure(key, FIGURE_TITLES[key], len(ids), set(ids))


def quarter_key(key: str, quarter: FiscalQuarter) -> str:
    return f"{key}.{quarter.slug}"


# -- Pure figures ------------------------------------------------------------


def quadrant_figures(
    *, account_ids: Iterable[int], scores: Mapping[int, ScoreFact]
) -> dict[str, Figure]:
    """Count accounts per quadrant of the current run; unscored apart."""
    account_ids = list(account_ids)
    figures = {
        f"quadrant.{quadrant}": _figure(
            f"quadrant.{quadrant}",
            [
                pk
                for pk in account_ids
                if pk in scores and scores[pk].quadrant == quadrant
            ],
        )
        for quadrant in AccountScore.Quadrant.values
    }
    figures["quadrant.unscored"] = _figure(
        "quadrant.unscored", [pk for pk in account_ids if pk not in scores]
    )
    return figures


def account_paths(
    *,
    account_ids: Iterable[int],
    history: Mapping[int, Mapping[str, ScoreFact]],
    quarters: list[FiscalQuarter],
) -> dict[int, list[ScoreFact | None]]:
    """Return each account's score at the end of each quarter, oldest first.

    `history` maps account id to {quarter slug: the score of the last run
    kept in that quarter}; a quarter with no run is None.
    """
    return {
        pk: [history.get(pk, {}).get(quarter.slug) for quarter in quarters]
        for pk in account_ids
    }


def moved_figure(*, paths: Mapping[int, list[ScoreFact | None]]) -> Figure:
    """Count accounts whose quadrant changed across the quarters shown."""
    moved = []
    for pk, path in paths.items():
        quadrants = [point.quadrant for point in path if point is not None]
        if len(set(quadrants)) > 1:
            moved.append(pk)
    return _figure("quadrant.moved", moved)


@dataclass(frozen=True)
class OwnedCells:
    """How many catalogue cells were owned before one quarter's start.

    `cells` counts them over every account; `full` holds the accounts that
    owned every catalogue product by then, so none of their cells is open.
    """

    cells: int
    full: frozenset[int]


def whitespace_figures(
    *,
    account_ids: Iterable[int],
    product_count: int,
    owned: Mapping[str, OwnedCells],
    pursuit_cells_bought: Mapping[tuple[int, int], date],
    pursuits: Iterable[PursuitFact],
    quarters: list[FiscalQuarter],
) -> dict[str, Figure]:
    """Return open, pursued and won whitespace cells for each quarter.

    A cell is an account and a product. It is open at a quarter's start when
    the account had bought nothing of the product before that day and won no
    pursuit on it. Of those open cells, it is pursued in the quarter when a
    pursuit on it was open at some point in the quarter, and won when a
    pursuit on it was won in the quarter.

    `owned` holds each quarter's owned catalogue cells, by quarter slug,
    counted by the database (_whitespace_owned); `pursuit_cells_bought` when
    each cell with a pursuit was bought, if it was.
    """
    accounts = frozenset(account_ids)
    pursuits = list(pursuits)
    owned_since: dict[tuple[int, int], date] = dict(pursuit_cells_bought)
    for pursuit in pursuits:
        if pursuit.outcome == Pursuit.Outcome.WON and pursuit.closed_on:
            cell = (pursuit.account_id, pursuit.product_id)
            if cell not in owned_since or pursuit.closed_on < owned_since[cell]:
                owned_since[cell] = pursuit.closed_on

    figures = {}
    for quarter in quarters:

        def is_open(cell: tuple[int, int], start: date = quarter.start) -> bool:
            since = owned_since.get(cell)
            return since is None or since >= start

        counted = owned[quarter.slug]
        if product_count:
            open_count = len(accounts) * product_count - counted.cells
            open_accounts = accounts - counted.full
        else:
            open_count, open_accounts = 0, frozenset()

        pursued: set[tuple[int, int]] = set()
        won: set[tuple[int, int]] = set()
        for pursuit in pursuits:
            cell = (pursuit.account_id, pursuit.product_id)
            if not is_open(cell):
                continue
            started = pursuit.created_on <= quarter.end
            ended_before = pursuit.closed_on is not None and (
                pursuit.closed_on < quarter.start
            )
            if started and not ended_before:
                pursued.add(cell)
            if (
                pursuit.outcome == Pursuit.Outcome.WON
                and pursuit.closed_on
                and quarter.contains(pursuit.closed_on)
            ):
                won.add(cell)

        for name, count, ids in (
            ("open", open_count, open_accounts),
            ("pursued", len(pursued), {cell[0] for cell in pursued}),
            ("won", len(won), {cell[0] for cell in won}),
        ):
            key = quarter_key(f"whitespace.{name}", quarter)
            figures[key] = Figure(
                key, FIGURE_TITLES[f"whitespace.{name}"], count, set(ids)
            )
    return figures


# What coverage_figures reads of each account, by figure key.
COVERAGE_KEYS = (
    "coverage.missing_role",
    "coverage.unowned",
    "coverage.stale",
    "coverage.important",
    *(f"sentiment.{value}" for value in Stakeholder.Sentiment.values),
)


def coverage_figures(*, counts: Mapping[int, Sequence[int]]) -> dict[str, Figure]:
    """Return role, ownership, staleness, importance and sentiment figures.

    `counts` maps an account id to its counts in COVERAGE_KEYS' order:
    expected roles no active person holds, important people without an
    owner, relationships going stale, important people, then active people
    of each sentiment. A figure counts them all, over the accounts with any.
    """
    figures = {}
    for index, key in enumerate(COVERAGE_KEYS):
        ids = {pk for pk, numbers in counts.items() if numbers[index]}
        figures[key] = Figure(
            key,
            FIGURE_TITLES[key],
            sum(numbers[index] for numbers in counts.values()),
            ids,
        )
    return figures


def stage_progress(
    *, stage_ids: list[int], current_stage_id: int | None, unmet_stage_ids: set[int]
) -> tuple[int, int]:
    """Return a pursuit's claimed and validated stage numbers.

    The same rule as plans.selectors.pursuit_progress, on plain ids: claimed
    is the position of the current stage; validated counts the stages from
    the start, behind the current one, with no required checkpoint unmet.
    """
    claimed = next(
        (
            index
            for index, stage_id in enumerate(stage_ids, start=1)
            if stage_id == current_stage_id
        ),
        0,
    )
    validated = 0
    for index, stage_id in enumerate(stage_ids[: max(claimed - 1, 0)], start=1):
        if stage_id in unmet_stage_ids:
            break
        validated = index
    return claimed, validated


def outcome_figures(
    *, pursuits: Iterable[PursuitFact], quarters: list[FiscalQuarter]
) -> dict[str, Figure]:
    """Return won, lost and no-decision pursuits closed in each quarter."""
    figures = {}
    pursuits = list(pursuits)
    for quarter in quarters:
        for outcome in ("won", "lost", "no_decision"):
            key = quarter_key(f"outcome.{outcome}", quarter)
            closed = [
                pursuit.account_id
                for pursuit in pursuits
                if pursuit.outcome == outcome
                and pursuit_outcome_counts_in(
                    outcome=pursuit.outcome,
                    closed_on=pursuit.closed_on,
                    start=quarter.start,
                    end=quarter.end,
                )
            ]
            figures[key] = Figure(
                key, FIGURE_TITLES[f"outcome.{outcome}"], len(closed), set(closed)
            )
    return figures


def outcome_rates(
    *, figures: Mapping[str, Figure], quarter: FiscalQuarter
) -> dict[str, int | None]:
    """Return each outcome's share, in whole percent, of the quarter's closes."""
    counts = {
        outcome: figures[quarter_key(f"outcome.{outcome}", quarter)].count
        for outcome in ("won", "lost", "no_decision")
    }
    closed = sum(counts.values())
    return {
        outcome: (round(100 * count / closed) if closed else None)
        for outcome, count in counts.items()
    }


def effort_figures(
    *,
    account_ids: Iterable[int],
    touches: Mapping[int, int],
    scores: Mapping[int, ScoreFact],
    potential_threshold: float,
) -> tuple[dict[str, Figure], float]:
    """Split scored accounts by potential against effort around the median.

    Waiting: potential at or above the threshold and fewer touches than the
    median of the accounts shown. Tapped: potential below the threshold and
    more touches than that median. Returns the figures and the median.
    """
    scored = [pk for pk in account_ids if pk in scores]
    median = statistics.median([touches.get(pk, 0) for pk in scored]) if scored else 0
    waiting = [
        pk
        for pk in scored
        if scores[pk].potential >= potential_threshold and touches.get(pk, 0) < median
    ]
    tapped = [
        pk
        for pk in scored
        if scores[pk].potential < potential_threshold and touches.get(pk, 0) > median
    ]
    return {
        "effort.waiting": _figure("effort.waiting", waiting),
        "effort.tapped": _figure("effort.tapped", tapped),
    }, float(median)


def plan_completeness(
    *,
    plan_id: int,
    account_id: int,
    days: Sequence[date | None],
    today: date,
    fresh_days: int,
) -> Completeness:
    """Score which of a plan's seven sections are filled and fresh.

    `days` are the organisation's days each section last changed, in
    SECTION_NAMES' order, None for an empty one. A filled section changed
    within `fresh_days` counts fully, a filled but stale one half, an empty
    one nothing.
    """
    fresh_from = today - timedelta(days=fresh_days)
    worth = {"fresh": 1.0, "stale": 0.5, "missing": 0.0}
    points = sum(worth[section_state(last, fresh_from=fresh_from)] for last in days)
    return Completeness(
        plan_id=plan_id,
        account_id=account_id,
        percent=round(100 * points / len(SECTION_NAMES)),
        days=tuple(days),
        fresh_from=fresh_from,
    )


# -- Loading -----------------------------------------------------------------


STALE_DAYS_MIN, STALE_DAYS_MAX = 1, 730


@dataclass(frozen=True)
class DashboardFilters:
    rep: int | None = None
    region: str = ""
    quadrant: str = ""
    tier: str = ""
    stale_days: int = 30
    # What the query asked for that was ignored or changed, said to the user.
    notices: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> "DashboardFilters":
        """Read filters from a query string, noting what was ignored or clamped.

        Whether the rep and region exist for this viewer is checked when the
        dashboard is built (dashboard_for_user), which knows them.
        """
        notices = []
        rep_text = query.get("rep", "").strip()
        rep = query_id(query, "rep")
        if rep_text and rep is None:
            notices.append(f"Rep filter “{rep_text[:40]}” is unknown and was ignored.")
        quadrant = query.get("quadrant", "").strip()
        if quadrant and quadrant not in AccountScore.Quadrant.values:
            notices.append(
                f"Quadrant “{quadrant[:40]}” is unknown and was ignored; "
                "choose Grow, Expand, Maintain or Monitor."
            )
            quadrant = ""
        tier = query.get("tier", "").strip()
        if tier and tier not in AccountScore.Tier.values:
            notices.append(
                f"Tier “{tier[:40]}” is unknown and was ignored; choose A, B or C."
            )
            tier = ""
        stale = query.get("stale", "").strip()
        stale_days = plan_stale_days()
        if stale:
            try:
                asked = int(stale)
            except ValueError:
                notices.append(
                    f"“{stale[:40]}” is not a number of days; "
                    f"untouched means after {stale_days} days."
                )
            else:
                stale_days = min(max(asked, STALE_DAYS_MIN), STALE_DAYS_MAX)
                if stale_days != asked:
                    notices.append(
                        f"Untouched after {asked} days is out of range "
                        f"({STALE_DAYS_MIN} to {STALE_DAYS_MAX}); "
                        f"{stale_days} days was used."
                    )
        return cls(
            rep=rep,
            region=query.get("region", "").strip(),
            quadrant=quadrant,
            tier=tier,
            stale_days=stale_days,
            notices=tuple(notices),
        )

    def as_query(self) -> dict[str, str]:
        query = {
            "rep": str(self.rep or ""),
            "region": self.region,
            "quadrant": self.quadrant,
            "tier": self.tier,
        }
        if self.stale_days != plan_stale_days():
            query["stale"] = str(self.stale_days)
        return {name: value for name, value in query.items() if value}


def plan_stale_days() -> int:
    """Return after how many days without a change a plan counts as untouched."""
    return settings.PLAN_STALE_DAYS


def plan_fresh_days() -> int:
    """Return how recent a section's last change must be to count as fresh."""
    return settings.PLAN_FRESH_DAYS


def effort_window_days() -> int:
    return settings.DASHBOARD_EFFORT_DAYS


@dataclass
class AccountRow:
    """One account on the dashboard, for the tables and the exports."""

    pk: int
    name: str
    reps: list[str]
    regions: list[str]
    score: ScoreFact | None = None
    ttm_revenue: Decimal | None = None
    path: list[ScoreFact | None] = field(default_factory=list)
    plan_id: int | None = None
    completeness: Completeness | None = None
    last_touched_on: date | None = None
    touches: int = 0


def _region_choices(visible: QuerySet[Account]) -> set[str]:
    """Return the regions of the teams working the visible accounts."""
    return set(
        AccountTeamMember.objects.filter(account_id__in=visible.values("pk"))
        .exclude(user__team__region__isnull=True)
        .exclude(user__team__region="")
        .order_by()
        .values_list("user__team__region", flat=True)
        .distinct()
    )


def dashboard_filter_choices(*, user: User) -> tuple[dict[int, str], set[str]]:
    """Return the reps (by id) and the regions the user may filter by."""
    return _rep_choices(user), _region_choices(account_list_for_user(user=user))


def _rep_choices(user: User) -> dict[int, str]:
    """Return the reps the viewer may filter by, by id.

    A manager picks among the reps on the teams they manage, executives
    and sales ops among every active rep; a rep's dashboard is their own.
    """
    if user.sees_all_accounts:
        people = User.objects.filter(role=User.Role.REP)
    elif user.is_manager:
        people = User.objects.filter(role=User.Role.REP, team__manager=user)
    else:
        people = User.objects.filter(pk=user.pk)
    return {
        person.pk: person.display_name
        for person in people.filter(is_active=True).only(
            "pk", "first_name", "last_name", "username"
        )
    }


@dataclass
class Dashboard:
    viewer_is_rep: bool
    filters: DashboardFilters
    quarters: list[FiscalQuarter]
    figures: dict[str, Figure]
    rows: dict[int, AccountRow]
    reps: list[tuple[int, str]]
    regions: list[str]
    run: ScoreRun | None
    performance_threshold: float
    potential_threshold: float
    effort_median: float
    effort_days: int
    fresh_days: int
    # Set when the figures come from a stored summary: when they were built,
    # whether the data has changed since, and the lengths of the tables whose
    # first rows alone were kept.
    built_at: datetime | None = None
    outdated: bool = False
    totals: dict[str, int] | None = None
    # The filters form and the figures' sections, rendered when stored.
    body_html: str = ""
    # The stored summary's key, under which its figures' accounts and rows
    # are read (plans.dashboard_summaries).
    summary_key: str = ""

    def _total(self, name: str, rows: list[Any] | dict[int, Any]) -> int:
        return self.totals[name] if self.totals is not None else len(rows)

    @cached_property
    def rep_options(self) -> str:
        """Return the rep filter's options as HTML, the chosen one selected.

        Built in one pass rather than by the template: someone who sees every
        account picks among thousands of reps.
        """
        return format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (pk, mark_safe(" selected") if self.filters.rep == pk else "", name)
                for pk, name in self.reps
            ),
        )

    @property
    def row_count(self) -> int:
        return self._total("rows", self.rows)

    @property
    def effort_count(self) -> int:
        return self._total("effort_rows", self.effort_rows)

    @property
    def ranked_count(self) -> int:
        return self._total("ranked_plans", self.ranked_plans)

    def _pick(self, *keys: str) -> list[Figure]:
        return [self.figures[key] for key in keys]

    @property
    def quadrants(self) -> dict[str, Figure]:
        return {
            quadrant: self.figures[f"quadrant.{quadrant}"]
            for quadrant in [*AccountScore.Quadrant.values, "unscored", "moved"]
        }

    @property
    def coverage(self) -> list[Figure]:
        return self._pick("coverage.missing_role", "coverage.unowned", "coverage.stale")

    @property
    def important_people(self) -> Figure:
        return self.figures["coverage.important"]

    @property
    def sentiment(self) -> list[Figure]:
        return self._pick(
            *(f"sentiment.{value}" for value in sorted(Stakeholder.Sentiment.values))
        )

    @property
    def execution(self) -> list[Figure]:
        return self._pick(
            "execution.ahead",
            "execution.overridden",
            "execution.overdue",
            "execution.untouched",
            "execution.forces",
            "execution.no_plan",
        )

    @property
    def incomplete(self) -> Figure:
        return self.figures["plans.incomplete"]

    @property
    def effort(self) -> list[Figure]:
        return self._pick("effort.waiting", "effort.tapped")

    @cached_property
    def effort_rows(self) -> list[AccountRow]:
        """Return the scored rows, highest potential first, flagged by effort."""
        waiting = self.figures["effort.waiting"].account_ids
        tapped = self.figures["effort.tapped"].account_ids
        rows = [row for row in self.rows.values() if row.score is not None]
        for row in rows:
            row.effort_flag = (  # type: ignore[attr-defined]
                "waiting" if row.pk in waiting else "tapped" if row.pk in tapped else ""
            )
        return sorted(rows, key=lambda row: -row.score.potential)  # type: ignore[union-attr]

    @cached_property
    def path_rows(self) -> list[AccountRow]:
        """Return moved accounts first, then those with the longest paths."""
        moved = self.figures["quadrant.moved"].account_ids
        rows = sorted(
            self.rows.values(),
            key=lambda row: (
                row.pk not in moved,
                -sum(1 for point in row.path if point is not None),
            ),
        )
        return rows[:ROWS_SHOWN]

    @cached_property
    def path_chart(self) -> dict[str, Any]:
        """Return the plain data the path chart draws, for json_script."""
        accounts = []
        for row in self.path_rows:
            points = [
                [
                    quarter.short_label,
                    point.performance,
                    point.potential,
                    point.quadrant,
                ]
                for quarter, point in zip(self.quarters, row.path, strict=True)
                if point is not None
            ]
            if points:
                accounts.append({"id": row.pk, "name": row.name, "points": points})
        return {
            "performance_threshold": self.performance_threshold,
            "potential_threshold": self.potential_threshold,
            "latest_quarter": self.quarters[-1].short_label if self.quarters else "",
            "accounts": accounts,
        }

    @property
    def rows_shown(self) -> int:
        return ROWS_SHOWN

    @cached_property
    def ranked_plans(self) -> list[AccountRow]:
        """Return the rows with a plan, least complete first."""
        rows = [row for row in self.rows.values() if row.completeness is not None]
        return sorted(rows, key=lambda row: (row.completeness.percent, row.name))  # type: ignore[union-attr]

    @cached_property
    def quarter_rows(self) -> list[dict[str, Any]]:
        """Return whitespace and outcome figures per quarter, newest first."""
        return [
            {
                "quarter": quarter,
                "open": self.figures[quarter_key("whitespace.open", quarter)],
                "pursued": self.figures[quarter_key("whitespace.pursued", quarter)],
                "won_cells": self.figures[quarter_key("whitespace.won", quarter)],
                "won": self.figures[quarter_key("outcome.won", quarter)],
                "lost": self.figures[quarter_key("outcome.lost", quarter)],
                "no_decision": self.figures[
                    quarter_key("outcome.no_decision", quarter)
                ],
                "rates": outcome_rates(figures=self.figures, quarter=quarter),
            }
            for quarter in reversed(self.quarters)
        ]


def _memberships(scope: AccountIds) -> list[Mapping[str, Any]]:
    return list(
        AccountTeamMember.objects.filter(account_id__in=scope).values(
            "account_id",
            "user_id",
            "user__first_name",
            "user__last_name",
            "user__username",
            "user__team__region",
        )
    )


def _scores_and_teams(
    ids: AccountIds, run: ScoreRun | None
) -> tuple[
    dict[int, ScoreFact],
    dict[int, Decimal],
    dict[int, list[str]],
    dict[int, set[str]],
]:
    """Return the accounts' current scores, TTM revenue, reps and regions."""
    scores: dict[int, ScoreFact] = {}
    revenue: dict[int, Decimal] = {}
    if run is not None:
        for score in AccountScore.objects.filter(run=run, account_id__in=ids).values(
            "account_id", "performance", "potential", "quadrant", "tier", "ttm_revenue"
        ):
            scores[score["account_id"]] = _score_fact(score)
            revenue[score["account_id"]] = score["ttm_revenue"]
    reps_of: dict[int, list[str]] = defaultdict(list)
    regions_of: dict[int, set[str]] = defaultdict(set)
    for member in _memberships(ids):
        name = (
            f"{member['user__first_name']} {member['user__last_name']}".strip()
            or member["user__username"]
        )
        reps_of[member["account_id"]].append(name)
        if member["user__team__region"]:
            regions_of[member["account_id"]].add(member["user__team__region"])
    return scores, revenue, reps_of, regions_of


def _score_fact(score: Mapping[str, Any]) -> ScoreFact:
    return ScoreFact(
        account_id=score["account_id"],
        performance=score["performance"],
        potential=score["potential"],
        quadrant=score["quadrant"],
        tier=score["tier"],
    )


def _score_history(
    scope: AccountIds, quarters: list[FiscalQuarter], current: ScoreRun | None
) -> dict[int, dict[str, ScoreFact]]:
    """Return each account's score of the last run kept in each quarter.

    A kept run stands for the quarter of the day its data is as of (the day
    it finished when unset), as the executive review reads it; the latest
    such run stands for its quarter. The current run always stands for this
    quarter, since it is what every other figure shows, even when it scores
    an older export.
    """
    last_run: dict[str, tuple[date, int]] = {}
    runs = ScoreRun.objects.filter(status=ScoreRun.Status.SUCCEEDED).values(
        "pk", "as_of", "finished_at", "created_at"
    )
    for run in runs:
        day = run["as_of"] or local_date(run["finished_at"] or run["created_at"])
        if not quarters[0].start <= day <= quarters[-1].end:
            continue
        slug = fiscal_quarter_for(day).slug
        if slug not in last_run or (day, run["pk"]) > last_run[slug]:
            last_run[slug] = (day, run["pk"])
    if current is not None:
        last_run[quarters[-1].slug] = (quarters[-1].end, current.pk)

    history: dict[int, dict[str, ScoreFact]] = defaultdict(dict)
    slug_of_run = {pk: slug for slug, (_, pk) in last_run.items()}
    for score in AccountScore.objects.filter(
        run_id__in=list(slug_of_run), account_id__in=scope
    ).values("run_id", "account_id", "performance", "potential", "quadrant", "tier"):
        history[score["account_id"]][slug_of_run[score["run_id"]]] = _score_fact(score)
    return history


def _pursuit_facts(scope: AccountIds) -> list[PursuitFact]:
    """Return every pursuit of these accounts, open ones with their progress.

    Plain rows rather than model instances: at a few thousand accounts,
    building a prefetched instance per stage and checkpoint costs seconds.
    """
    pursuits = list(
        Pursuit.objects.filter(plan__account_id__in=scope).values(
            "pk",
            "plan__account_id",
            "product_id",
            "outcome",
            "created_at",
            "closed_on",
            "current_stage_id",
        )
    )
    open_pursuits = Pursuit.objects.filter(
        plan__account_id__in=scope, outcome=Pursuit.Outcome.OPEN
    )
    # One query: each open pursuit's stages, flagged when a required
    # checkpoint in them has no evidence yet.
    stages: dict[int, list[int]] = defaultdict(list)
    unmet: set[int] = set()
    unmet_checkpoints = Checkpoint.objects.filter(
        stage=OuterRef("pk"), required=True, validated_at__isnull=True
    )
    for stage_id, pursuit_id, has_unmet in (
        PursuitStage.objects.filter(pursuit__in=open_pursuits)
        .annotate(has_unmet=Exists(unmet_checkpoints))
        .order_by("pursuit_id", "order", "pk")
        .values_list("pk", "pursuit_id", "has_unmet")
    ):
        stages[pursuit_id].append(stage_id)
        if has_unmet:
            unmet.add(stage_id)

    facts = []
    for pursuit in pursuits:
        claimed = validated = 0
        if pursuit["outcome"] == Pursuit.Outcome.OPEN:
            claimed, validated = stage_progress(
                stage_ids=stages[pursuit["pk"]],
                current_stage_id=pursuit["current_stage_id"],
                unmet_stage_ids=unmet,
            )
        facts.append(
            PursuitFact(
                account_id=pursuit["plan__account_id"],
                product_id=pursuit["product_id"],
                outcome=pursuit["outcome"],
                created_on=local_date(pursuit["created_at"]),
                closed_on=pursuit["closed_on"],
                claimed=claimed,
                validated=validated,
            )
        )
    return facts


def _scope_sql(scope: AccountIds) -> tuple[str, tuple[Any, ...]]:
    """Return SQL for `IN (...)` over the accounts, and its parameters."""
    if isinstance(scope, list):
        return ", ".join(["%s"] * len(scope)) or "NULL", tuple(scope)
    sql, params = scope.order_by().query.sql_with_params()
    return sql, tuple(params)


def _whitespace_owned(
    scope: AccountIds, quarters: list[FiscalQuarter]
) -> tuple[int, dict[str, OwnedCells]]:
    """Count the catalogue products, and the cells owned before each quarter.

    One statement, whatever the number of accounts and revenue lines: a cell
    is owned from the day it was bought (accounts.selectors'
    whitespace_bought_sql, its running sums by window) or its first pursuit
    won, whichever came first. The database sums the owned cells per
    quarter and names the few accounts that owned every product; no row per
    account comes back.
    """
    bought_sql, bought_params = whitespace_bought_sql(account_ids=scope)
    if not bought_sql:
        nothing = OwnedCells(0, frozenset())
        return 0, {quarter.slug: nothing for quarter in quarters}
    scope_sql, scope_params = _scope_sql(scope)
    catalogue_sql, catalogue_params = (
        Product.objects.catalogue().order_by().values("pk").query.sql_with_params()
    )
    starts = [connection.ops.adapt_datefield_value(q.start) for q in quarters]
    counts = ", ".join(
        f"SUM(CASE WHEN since < %s THEN 1 ELSE 0 END) AS q{index}"
        for index in range(len(quarters))
    )
    totals = ", ".join(f"SUM(q{index})" for index in range(len(quarters)))
    columns = ", ".join(f"q{index}" for index in range(len(quarters)))
    full = " OR ".join(f"q{index} >= products.count" for index in range(len(quarters)))
    pursuit, plan = Pursuit._meta.db_table, Plan._meta.db_table
    sql = f"""
        WITH per_account AS (
            SELECT account_id, {counts}
            FROM (
                SELECT account_id, product_id, MIN(since) AS since
                FROM (
                    {bought_sql}
                    UNION ALL
                    SELECT plan.account_id, pursuit.product_id, pursuit.closed_on
                    FROM {pursuit} pursuit
                    JOIN {plan} plan ON plan.id = pursuit.plan_id
                    WHERE pursuit.outcome = %s
                    AND pursuit.closed_on IS NOT NULL
                    AND plan.account_id IN ({scope_sql})
                ) cells
                WHERE product_id IN ({catalogue_sql})
                GROUP BY account_id, product_id
            ) owned
            GROUP BY account_id
        )
        , products AS (SELECT COUNT(*) AS count FROM ({catalogue_sql}) catalogue)
        SELECT NULL, products.count, {totals} FROM products
        LEFT JOIN per_account ON 1 = 1
        GROUP BY products.count
        UNION ALL
        SELECT account_id, products.count, {columns}
        FROM per_account, products WHERE {full}
    """
    params = (
        *starts,
        *bought_params,
        Pursuit.Outcome.WON.value,
        *scope_params,
        *catalogue_params,
        *catalogue_params,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    products, *cells = (int(total or 0) for total in rows[0][1:])
    return products, {
        quarter.slug: OwnedCells(
            cells[index],
            frozenset(row[0] for row in rows[1:] if row[index + 2] >= products),
        )
        for index, quarter in enumerate(quarters)
    }


def _pursuit_cells_bought(scope: AccountIds) -> dict[tuple[int, int], date]:
    """Return when each cell of an account with a pursuit was bought.

    whitespace_figures asks it of the cells with a pursuit only; the
    accounts without one cost nothing here.
    """
    pursued = Pursuit.objects.filter(plan__account_id__in=scope).values(
        "plan__account_id"
    )
    return whitespace_bought_since(account_ids=pursued)


def _coverage_counts(
    scope: AccountIds, sectors: Iterable[str], now: datetime
) -> dict[int, tuple[int, ...]]:
    """Return each account's counts in COVERAGE_KEYS' order, by account.

    Set-based, in three queries whatever the number of people: each
    account's active people counted by what the figures ask of them, and
    (role_unheld_counts) its expected roles that no active person holds.
    The rules are the coverage page's (stakeholders.coverage), asked of the
    database. `sectors` are the accounts' sectors as stored. Accounts with
    nothing to count are left out.
    """
    active = Stakeholder.Status.ACTIVE
    touches = Activity.stakeholders.through.objects.filter(
        stakeholder_id=OuterRef("pk")
    )
    # Going stale: an owner, and more whole days than the stale days since
    # the last touch, or since the person was added when never touched.
    cutoff = now - timedelta(days=stakeholder_stale_days() + 1)
    important = Q(influence__gte=HIGH_INFLUENCE)
    counts = {
        "unowned": Count("pk", filter=important & Q(owner__isnull=True)),
        "stale": Count(
            "pk",
            filter=Q(owner__isnull=False)
            & ~Exists(touches.filter(activity__occurred_at__gt=cutoff))
            & (Exists(touches) | Q(created_at__lte=cutoff)),
        ),
        "important": Count("pk", filter=important),
        **{
            f"sentiment_{index}": Count("pk", filter=Q(sentiment=value))
            for index, value in enumerate(Stakeholder.Sentiment.values)
        },
    }
    people = {
        pk: numbers
        for pk, *numbers in Stakeholder.objects.filter(
            account_id__in=scope, status=active
        )
        .order_by()
        .values("account_id")
        .annotate(**counts)
        .values_list("account_id", *counts)
    }

    missing = role_unheld_counts(scope=scope, sectors=sectors)
    nothing = (0,) * (len(COVERAGE_KEYS) - 1)
    return {
        pk: (missing.get(pk, 0), *people.get(pk, nothing))
        for pk in missing.keys() | people.keys()
    }


def _current_plan_ids(scope: AccountIds) -> models.QuerySet:
    """Return the ids of each account's open plan of the latest period.

    An account has one plan a period, so the open plan with no later open
    plan beside it is the one; a subquery, so no list of ids is sent.
    """
    open_plans = Plan.objects.exclude(status=Plan.Status.CLOSED)
    later = open_plans.filter(
        account_id=OuterRef("account_id"), fiscal_year__gt=OuterRef("fiscal_year")
    )
    return (
        open_plans.filter(account_id__in=scope)
        .exclude(Exists(later))
        .order_by()
        .values("pk")
    )


@dataclass(frozen=True)
class PlanDays:
    """One current plan: the day each section and the plan last changed."""

    plan_id: int
    account_id: int
    # In SECTION_NAMES' order; None for an empty section.
    days: tuple[date | None, ...]
    last_changed: date


def _plan_days(
    plan_ids: models.QuerySet | list[int], zone: tzinfo
) -> dict[int, PlanDays]:
    """Return each plan's section days and last change, by account.

    Two queries, whatever the number of plans: the plans, and every
    section's latest change per plan (per account, for people and recorded
    changes) in one UNION ALL of GROUP BYs. The database turns moments into
    the organisation's days. A plan last changed when it, or any item of
    its account's plans, was last recorded as changed.
    """
    accounts = Plan.objects.filter(pk__in=plan_ids).values("account_id")
    types = ContentType.objects.get_for_models(*ITEM_KINDS.values()).values()

    def day(moment: Any) -> TruncDate:
        return TruncDate(moment, tzinfo=zone)

    def latest(
        model: type[models.Model], key: str, ids: Any, section: str, **filters: Any
    ) -> models.QuerySet:
        return (
            model._default_manager.filter(**{f"{key}__in": ids}, **filters)
            .order_by()
            .values(key)
            .annotate(section=Value(section), last=day(Max("updated_at")))
            .values_list("section", key, "last")
        )

    sections = latest(
        Strategy, "plan_id", plan_ids, "strategies", status=Strategy.Status.OPEN
    ).union(
        latest(Alignment, "plan_id", plan_ids, "alignments"),
        latest(Pursuit, "plan_id", plan_ids, "pursuits"),
        latest(
            Action,
            "plan_id",
            plan_ids,
            "actions",
            status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS],
        ),
        latest(
            Stakeholder,
            "account_id",
            accounts,
            "people",
            status=Stakeholder.Status.ACTIVE,
        ),
        ManagerReview.objects.filter(plan_id__in=plan_ids)
        .order_by()
        .values("plan_id")
        .annotate(section=Value("reviews"), last=Max("reviewed_on"))
        .values_list("section", "plan_id", "last"),
        ChangeRecord.objects.filter(
            account_id__in=accounts,
            content_type__in=[content_type.pk for content_type in types],
        )
        .order_by()
        .values("account_id")
        .annotate(section=Value("changes"), last=day(Max("changed_at")))
        .values_list("section", "account_id", "last"),
        all=True,
    )
    last: dict[str, dict[int, date]] = defaultdict(dict)
    for section, pk, moment in sections:
        last[section][pk] = moment

    plans = {}
    for pk, account_id, summary_day, updated_day in (
        Plan.objects.filter(pk__in=plan_ids)
        .order_by()
        .values_list(
            "pk",
            "account_id",
            Case(When(summary__regex=f"[^{BLANK_CHARACTERS}]", then=day("updated_at"))),
            day("updated_at"),
        )
    ):
        days = (
            summary_day,
            last["strategies"].get(pk),
            last["alignments"].get(pk),
            last["pursuits"].get(pk),
            last["actions"].get(pk),
            last["people"].get(account_id),
            last["reviews"].get(pk),
        )
        # The day of the latest moment is the latest of their days.
        changed = max(updated_day, last["changes"].get(account_id, updated_day))
        plans[account_id] = PlanDays(pk, account_id, days, changed)
    return plans


def _completeness(
    plans: Mapping[int, PlanDays], today: date
) -> dict[int, Completeness]:
    """Return each plan's completeness, by account."""
    fresh_days = plan_fresh_days()
    return {
        account_id: plan_completeness(
            plan_id=plan.plan_id,
            account_id=account_id,
            days=plan.days,
            today=today,
            fresh_days=fresh_days,
        )
        for account_id, plan in plans.items()
    }


def _execution_figures(
    *,
    account_ids: list[int],
    plans: Mapping[int, PlanDays],
    plan_ids: models.QuerySet,
    pursuits: list[PursuitFact],
    today: date,
    stale_days: int,
) -> dict[str, Figure]:
    overrides = GateOverride.objects.filter(pursuit__plan_id__in=plan_ids).values_list(
        "pursuit__plan__account_id", flat=True
    )
    overdue = Action.objects.filter(
        plan_id__in=plan_ids,
        status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS],
        due_on__lt=today,
    ).values_list("plan__account_id", flat=True)
    # A force counts when it is active and names at least one open strategy
    # or open pursuit; the count is of forces, not of the items they touch.
    account_of_plan = {plan.plan_id: plan.account_id for plan in plans.values()}
    forces = []
    for force in ExternalForce.objects.filter(
        plan_id__in=plan_ids, status=ExternalForce.Status.ACTIVE
    ).prefetch_related(
        Prefetch("strategies", queryset=Strategy.objects.only("pk", "status")),
        Prefetch("pursuits", queryset=Pursuit.objects.only("pk", "outcome")),
    ):
        if any(item.is_open for item in force.strategies.all()) or any(
            item.is_open for item in force.pursuits.all()
        ):
            forces.append(account_of_plan[force.plan_id])
    ahead = [
        pursuit.account_id
        for pursuit in pursuits
        if pursuit.outcome == Pursuit.Outcome.OPEN
        and pursuit.account_id in plans
        and pursuit.validated < pursuit.claimed - 1
    ]
    untouched = [
        account_id
        for account_id, plan in plans.items()
        if (today - plan.last_changed).days > stale_days
    ]
    return {
        "execution.ahead": _figure("execution.ahead", ahead),
        "execution.overridden": _figure("execution.overridden", list(overrides)),
        "execution.overdue": _figure("execution.overdue", list(overdue)),
        "execution.untouched": _figure("execution.untouched", untouched),
        "execution.forces": _figure("execution.forces", forces),
        "execution.no_plan": _figure(
            "execution.no_plan", [pk for pk in account_ids if pk not in plans]
        ),
    }


def _filtered_accounts(
    *, visible: models.QuerySet, filters: DashboardFilters, run: ScoreRun | None
) -> models.QuerySet:
    """Narrow the visible accounts by the dashboard's filters, in SQL."""
    scope = visible
    if filters.rep is not None:
        scope = scope.filter(
            pk__in=AccountTeamMember.objects.filter(user_id=filters.rep).values(
                "account_id"
            )
        )
    if filters.region:
        scope = scope.filter(
            pk__in=AccountTeamMember.objects.filter(
                user__team__region=filters.region
            ).values("account_id")
        )
    if filters.quadrant or filters.tier:
        scored = (
            AccountScore.objects.filter(run=run) if run else AccountScore.objects.none()
        )
        if filters.quadrant:
            scored = scored.filter(quadrant=filters.quadrant)
        if filters.tier:
            scored = scored.filter(tier=filters.tier)
        scope = scope.filter(pk__in=scored.values("account_id"))
    return scope


def dashboard_for_user(
    *,
    user: User,
    filters: DashboardFilters | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """Return every dashboard figure over the accounts the user may see.

    The number of queries does not depend on how many accounts, plans or
    people there are.
    """
    filters = filters or DashboardFilters(stale_days=plan_stale_days())
    now = now or timezone.now()
    today = local_date(now)
    quarters = fiscal_quarters_ending_with(fiscal_quarter_for(now), QUARTERS_SHOWN)

    # load: the filters' choices over the accounts this user may see; every
    # later query reads those accounts as a subquery of the one access rule,
    # never as a list of ids (at 100k accounts building such lists cost
    # more than running the queries)
    visible = account_list_for_user(user=user)
    run = (
        ScoreRun.objects.filter(is_current=True).select_related("scoring_model").first()
    )
    reps = _rep_choices(user)
    regions = _region_choices(visible)

    # a rep or region this viewer cannot pick is said, then ignored
    notices = list(filters.notices)
    if filters.rep is not None and filters.rep not in reps:
        notices.append(
            f"Rep #{filters.rep} is not one of the reps you can filter by "
            "and was ignored."
        )
        filters = replace(filters, rep=None)
    if filters.region and filters.region not in regions:
        notices.append(
            f"Region “{filters.region[:40]}” has none of your accounts and was ignored."
        )
        filters = replace(filters, region="")
    filters = replace(filters, notices=tuple(notices))

    # filter the accounts every figure is about, in SQL
    scope = _filtered_accounts(visible=visible, filters=filters, run=run)
    ids: AccountIds = scope.values("pk")
    # By name, then id: two names alike but for case come in one order on
    # every build, so a drill-down's cursor reads on where it stopped.
    accounts = sorted(
        scope.values_list("pk", "name", "sector"),
        key=lambda row: (row[1].lower(), row[0]),
    )
    names = {pk: name for pk, name, _ in accounts}
    account_ids = list(names)
    if len(account_ids) <= LITERAL_IDS_MAX:
        ids = account_ids

    scores, revenue, reps_of, regions_of = _scores_and_teams(ids, run)

    # load the facts of those accounts
    history = _score_history(ids, quarters, run)
    product_count, owned = _whitespace_owned(ids, quarters)
    pursuits = _pursuit_facts(ids)
    pursuit_cells_bought = _pursuit_cells_bought(ids)
    plan_ids = _current_plan_ids(ids)
    # One zone for the request: looking it up per date cost seconds at 100k.
    zone = organisation_zone()
    plans = _plan_days(plan_ids, zone)
    coverage = _coverage_counts(ids, {sector for _, _, sector in accounts}, now)
    effort_days = effort_window_days()
    touches = dict(
        Activity.objects.filter(
            account_id__in=ids,
            occurred_at__gte=now - timedelta(days=effort_days),
        )
        .values("account_id")
        .annotate(count=Count("pk"))
        .values_list("account_id", "count")
    )
    threshold = float(run.scoring_model.potential_threshold) if run else 50.0
    performance_threshold = (
        float(run.scoring_model.performance_threshold) if run else 50.0
    )

    # compute
    figures: dict[str, Figure] = {
        "accounts": _figure("accounts", account_ids),
    }
    figures.update(quadrant_figures(account_ids=account_ids, scores=scores))
    paths = account_paths(account_ids=account_ids, history=history, quarters=quarters)
    figures["quadrant.moved"] = moved_figure(paths=paths)
    figures.update(
        whitespace_figures(
            account_ids=account_ids,
            product_count=product_count,
            owned=owned,
            pursuit_cells_bought=pursuit_cells_bought,
            pursuits=pursuits,
            quarters=quarters,
        )
    )
    figures.update(coverage_figures(counts=coverage))
    figures.update(
        _execution_figures(
            account_ids=account_ids,
            plans=plans,
            plan_ids=plan_ids,
            pursuits=pursuits,
            today=today,
            stale_days=filters.stale_days,
        )
    )
    figures.update(outcome_figures(pursuits=pursuits, quarters=quarters))
    effort, median = effort_figures(
        account_ids=account_ids,
        touches=touches,
        scores=scores,
        potential_threshold=threshold,
    )
    figures.update(effort)
    completeness = _completeness(plans, today)
    figures["plans.incomplete"] = _figure(
        "plans.incomplete",
        [pk for pk, item in completeness.items() if item.percent < COMPLETE_ENOUGH],
    )

    rows = {
        pk: AccountRow(
            pk=pk,
            name=names[pk],
            reps=sorted(reps_of[pk]),
            regions=sorted(regions_of[pk]),
            score=scores.get(pk),
            ttm_revenue=revenue.get(pk),
            path=paths[pk],
            plan_id=plans[pk].plan_id if pk in plans else None,
            completeness=completeness.get(pk),
            last_touched_on=plans[pk].last_changed if pk in plans else None,
            touches=touches.get(pk, 0),
        )
        for pk in account_ids
    }
    return Dashboard(
        viewer_is_rep=not user.sees_all_accounts and not user.is_manager,
        filters=filters,
        quarters=quarters,
        figures=figures,
        rows=rows,
        reps=sorted(reps.items(), key=lambda item: item[1].lower()),
        regions=sorted(regions),
        run=run,
        performance_threshold=performance_threshold,
        potential_threshold=threshold,
        effort_median=median,
        effort_days=effort_days,
        fresh_days=plan_fresh_days(),
    )


def dashboard_account_rows(
    *, user: User, account_ids: list[int], now: datetime | None = None
) -> list[AccountRow]:
    """Return the dashboard's rows of these accounts, in the order given.

    For one page of a drill-down: a few dozen accounts, read by their ids
    through the access rule, so an id the viewer may not see gives no row.
    Each row holds what dashboard_for_user's row of that account holds.
    """
    now = now or timezone.now()
    today = local_date(now)
    quarters = fiscal_quarters_ending_with(fiscal_quarter_for(now), QUARTERS_SHOWN)
    names = dict(
        account_list_for_user(user=user)
        .filter(pk__in=account_ids)
        .values_list("pk", "name")
    )
    ids = [pk for pk in account_ids if pk in names]
    run = ScoreRun.objects.filter(is_current=True).only("pk").first()

    scores, revenue, reps_of, regions_of = _scores_and_teams(ids, run)
    paths = account_paths(
        account_ids=ids, history=_score_history(ids, quarters, run), quarters=quarters
    )
    plans = _plan_days(_current_plan_ids(ids), organisation_zone())
    completeness = _completeness(plans, today)
    touches = dict(
        Activity.objects.filter(
            account_id__in=ids,
            occurred_at__gte=now - timedelta(days=effort_window_days()),
        )
        .values("account_id")
        .annotate(count=Count("pk"))
        .values_list("account_id", "count")
    )
    return [
        AccountRow(
            pk=pk,
            name=names[pk],
            reps=sorted(reps_of[pk]),
            regions=sorted(regions_of[pk]),
            score=scores.get(pk),
            ttm_revenue=revenue.get(pk),
            path=paths[pk],
            plan_id=plans[pk].plan_id if pk in plans else None,
            completeness=completeness.get(pk),
            last_touched_on=plans[pk].last_changed if pk in plans else None,
            touches=touches.get(pk, 0),
        )
        for pk in ids
    ]


def dashboard_revenue_currency() -> str:
    """Return the currency of the rows' TTM revenue: the current run's."""
    run = ScoreRun.objects.filter(is_current=True).only("summary").first()
    return run.reporting_currency if run is not None else REPORTING_CURRENCY


def dashboard_figure_rows(*, dashboard: Dashboard, key: str) -> list[AccountRow]:
    """Return the accounts behind one figure, by name; unknown keys give none."""
    figure = dashboard.figures.get(key)
    if figure is None:
        return []
    return [row for pk, row in dashboard.rows.items() if pk in figure.account_ids]


def _figure_quarter(*, dashboard: Dashboard, key: str) -> str:
    """Return the label of a per-quarter figure's quarter; others give ""."""
    for quarter in dashboard.quarters:
        if key.endswith(f".{quarter.slug}"):
            return f" {quarter.label}"
    return ""


def figure_title(*, dashboard: Dashboard, key: str) -> str:
    """Return a figure's title, naming its quarter when it has one."""
    figure = dashboard.figures.get(key)
    if figure is None:
        return "Unknown figure"
    return figure.title + _figure_quarter(dashboard=dashboard, key=key)


def figure_counted(*, dashboard: Dashboard, key: str, accounts: int) -> str:
    """Say what a figure counts and on how many accounts, as a sentence.

    "11 overdue actions across 9 accounts"; a figure of accounts counts them
    once: "55 accounts".
    """
    figure = dashboard.figures[key]
    across = f"{accounts:,} {ngettext('account', 'accounts', accounts)}"
    if figure.kind in ACCOUNT_FIGURES:
        return across
    quarter = _figure_quarter(dashboard=dashboard, key=key)
    return f"{figure.count:,} {figure.noun}{quarter} across {across}"


def _quadrant_label(code: str | None) -> str | None:
    """Return a quadrant's name as the pages show it ("Grow"), not its code."""
    return AccountScore.Quadrant(code).label if code else None


# The slugs of dashboard_tables' names, in order: what a CSV export picks.
DASHBOARD_TABLE_SLUGS = ("accounts", "quarters", "plan-completeness", "figures")


def dashboard_account_headers(*, dashboard: Dashboard) -> list[str]:
    """Return the headers of the dashboard's accounts table."""
    return [
        "Account",
        "Reps",
        "Regions",
        "Quadrant",
        "Tier",
        "Performance",
        "Potential",
        "TTM revenue",
        *[f"Quadrant {quarter.label}" for quarter in dashboard.quarters],
        f"Touches in {dashboard.effort_days} days",
        "Plan completeness %",
        "Plan last changed",
    ]


def dashboard_account_cells(row: AccountRow) -> list[Cell]:
    """Return one account's cells in the dashboard's accounts table."""
    return [
        row.name,
        ", ".join(row.reps),
        ", ".join(row.regions),
        _quadrant_label(row.score.quadrant if row.score else None),
        row.score.tier if row.score else None,
        round(row.score.performance, 1) if row.score else None,
        round(row.score.potential, 1) if row.score else None,
        row.ttm_revenue,
        *[_quadrant_label(point.quadrant if point else None) for point in row.path],
        row.touches,
        row.completeness.percent if row.completeness else None,
        row.last_touched_on,
    ]


@dataclass(frozen=True)
class _Cells:
    """A table's rows, each made from its account row as it is read."""

    rows: Iterable[AccountRow]
    cells: Callable[[AccountRow], list[Cell]]

    def __iter__(self) -> Iterator[list[Cell]]:
        return (self.cells(row) for row in self.rows)


def _plan_cells(row: AccountRow) -> list[Cell]:
    # Ranked rows are the rows with a plan: each has its completeness.
    completeness = cast(Completeness, row.completeness)
    return [
        row.name,
        completeness.percent,
        *[state.capitalize() for state in completeness.states],
    ]


def dashboard_tables(
    *,
    dashboard: Dashboard,
    rows: Iterable[AccountRow] | None = None,
    ranked: Iterable[AccountRow] | None = None,
) -> list[Table]:
    """Return the dashboard's tables for export: accounts, quarters, plans.

    The accounts and plans tables read `rows` (by name) and `ranked` (the
    rows with a plan, least complete first), the dashboard's own unless
    given: a stored dashboard streams them (dashboard_summary_tables). Their
    cells are made as they are read, so a table over a stream is read once.
    """
    rows = dashboard.rows.values() if rows is None else rows
    ranked = dashboard.ranked_plans if ranked is None else ranked
    accounts = Table(
        name="Accounts",
        headers=dashboard_account_headers(dashboard=dashboard),
        rows=_Cells(rows, dashboard_account_cells),
    )
    by_quarter = Table(
        name="Quarters",
        headers=[
            "Quarter",
            "Open whitespace cells",
            "Cells with a pursuit",
            "Cells won",
            "Won",
            "Lost",
            "No decision",
            "Won %",
            "Lost %",
            "No decision %",
        ],
        rows=[
            [
                item["quarter"].label,
                item["open"].count,
                item["pursued"].count,
                item["won_cells"].count,
                item["won"].count,
                item["lost"].count,
                item["no_decision"].count,
                item["rates"]["won"],
                item["rates"]["lost"],
                item["rates"]["no_decision"],
            ]
            for item in dashboard.quarter_rows
        ],
    )
    plans = Table(
        name="Plan completeness",
        headers=["Account", "Completeness %", *SECTION_NAMES],
        rows=_Cells(ranked, _plan_cells),
    )
    figures = Table(
        name="Figures",
        headers=["Figure", "Count", "Accounts"],
        rows=[
            [
                figure_title(dashboard=dashboard, key=key),
                figure.count,
                figure.account_count,
            ]
            for key, figure in dashboard.figures.items()
        ],
    )
    return [accounts, by_quarter, plans, figures]


def plan_completeness_for(*, plan: Plan, today: date | None = None) -> Completeness:
    """Return one plan's completeness, as the dashboard ranks it."""
    days = _plan_days([plan.pk], organisation_zone())[plan.account_id]
    return plan_completeness(
        plan_id=plan.pk,
        account_id=plan.account_id,
        days=days.days,
        today=today or timezone.localdate(),
        fresh_days=plan_fresh_days(),
    )
