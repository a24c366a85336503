"""Reads for the value scorecard and the quarterly executive review.

The review page, its PDF and its PowerPoint all start from
`executive_review_pack`, so the three always show the same figures.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Account, User
from accounts.selectors import account_can_edit
from plans.calendar import (
    FiscalQuarter,
    fiscal_quarter_for,
    fiscal_quarters_ending_with,
)
from plans.models import (
    Alignment,
    CustomerLink,
    CustomerRating,
    ExecutiveReview,
    ExternalForce,
    MeasureQuarter,
    Plan,
    PlanSnapshot,
    Strategy,
    ValueMeasure,
    VoiceOfCustomer,
)
from plans.selectors import plan_current_for_account
from plans.snapshots import Change, snapshot_capture, snapshot_diff
from scoring.models import AccountScore, ScoringModel
from stakeholders.models import Stakeholder

TREND_QUARTERS = 4


@dataclass
class MeasureRow:
    """One measure with its target and actual in each shown quarter."""

    measure: ValueMeasure
    cells: list[MeasureQuarter | None]

    @property
    def latest(self) -> MeasureQuarter | None:
        return self.cells[-1] if self.cells else None


@dataclass
class Scorecard:
    account: Account
    quarters: list[FiscalQuarter]
    rows: list[MeasureRow]
    ratings: list[CustomerRating]
    average_rating: dict[date, Decimal | None] = field(default_factory=dict)

    @property
    def rating_cells(self) -> list[Decimal | None]:
        return [self.average_rating.get(quarter.start) for quarter in self.quarters]

    def chart_data(self) -> dict[str, Any]:
        """Return plain data for the trend chart: one series pair per measure."""
        return {
            "quarters": [quarter.short_label for quarter in self.quarters],
            "measures": [
                {
                    "name": row.measure.name,
                    "unit": row.measure.unit,
                    "baseline": float(row.measure.baseline),
                    "target": [_number(cell, "target") for cell in row.cells],
                    "actual": [_number(cell, "actual") for cell in row.cells],
                }
                for row in self.rows
            ],
            "rating": [
                float(value) if value is not None else None
                for value in (self.average_rating.get(q.start) for q in self.quarters)
            ],
        }


def _number(cell: MeasureQuarter | None, name: str) -> float | None:
    value = getattr(cell, name) if cell is not None else None
    return float(value) if value is not None else None


def scorecard_for_account(
    *, account: Account, quarters: list[FiscalQuarter]
) -> Scorecard:
    """Return the account's measures with their quarters, and the ratings."""
    starts = [quarter.start for quarter in quarters]
    measures = list(
        ValueMeasure.objects.filter(account=account).prefetch_related(
            Prefetch(
                "quarters",
                queryset=MeasureQuarter.objects.filter(quarter_start__in=starts),
            )
        )
    )
    rows = []
    for measure in measures:
        by_start = {cell.quarter_start: cell for cell in measure.quarters.all()}
        for cell in by_start.values():
            cell.measure = measure
        rows.append(MeasureRow(measure, [by_start.get(start) for start in starts]))

    ratings = list(
        CustomerRating.objects.filter(account=account, quarter_start__in=starts)
        .select_related("stakeholder", "recorded_by", "link")
        .order_by("quarter_start", "stakeholder__last_name", "-by_customer")
    )
    average = {}
    for start in starts:
        # One score per contact: their own when they gave one, else the team's.
        by_contact: dict[int, int] = {}
        for rating in sorted(ratings, key=lambda rating: rating.by_customer):
            if rating.quarter_start == start:
                by_contact[rating.stakeholder_id] = rating.score
        scores = list(by_contact.values())
        average[start] = (
            # Half up, as people round: 6.25 reads 6.3, like 6.75 reads 6.8.
            (Decimal(sum(scores)) / len(scores)).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
            if scores
            else None
        )
    return Scorecard(account, quarters, rows, ratings, average)


def quadrant_path(*, account: Account, quarters: list[FiscalQuarter]) -> list[dict]:
    """Return the account's score at the last kept run of each quarter."""
    if not quarters:
        return []
    # Only runs inside the quarters shown: a run dated far in the future
    # has no quarter that can be computed, and would not be shown anyway.
    scores = (
        AccountScore.objects.filter(
            account=account,
            run__status="succeeded",
            run__as_of__gte=quarters[0].start,
            run__as_of__lte=quarters[-1].end,
        )
        .select_related("run")
        .order_by("run__as_of", "run_id")
    )
    by_quarter: dict[date, AccountScore] = {}
    for score in scores:
        assert score.run.as_of is not None
        quarter = fiscal_quarter_for(score.run.as_of)
        by_quarter[quarter.start] = score
    # The current run stands for the quarter in progress, whatever data date
    # it was computed as of: it is what the account looks like today.
    today = fiscal_quarter_for(timezone.now())
    if quarters and quarters[-1].start == today.start:
        current = (
            AccountScore.objects.filter(account=account, run__is_current=True)
            .select_related("run")
            .first()
        )
        if current is not None:
            by_quarter[today.start] = current
    return [
        quadrant_point(quarter=quarter, score=by_quarter[quarter.start])
        for quarter in quarters
        if quarter.start in by_quarter
    ]


# Quadrants above the performance and the potential threshold.
_HIGH_PERFORMANCE = {AccountScore.Quadrant.GROW, AccountScore.Quadrant.MAINTAIN}
_HIGH_POTENTIAL = {AccountScore.Quadrant.GROW, AccountScore.Quadrant.EXPAND}


def score_text(value: float, *, above_threshold: bool) -> str:
    """Return a score to one decimal, never rounded across its threshold.

    49.96 below a threshold of 50 reads 49.9, not 50.0: rounded up it would
    sit on the line while its quadrant says it is under it.
    """
    rounding = ROUND_HALF_UP if above_threshold else ROUND_FLOOR
    return str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=rounding))


def quadrant_point(*, quarter: FiscalQuarter, score: AccountScore) -> dict:
    """Return one quarter of the path: exact scores to draw, text to read."""
    return {
        "quarter": quarter.short_label,
        "performance": round(score.performance, 4),
        "potential": round(score.potential, 4),
        "performance_text": score_text(
            score.performance, above_threshold=score.quadrant in _HIGH_PERFORMANCE
        ),
        "potential_text": score_text(
            score.potential, above_threshold=score.quadrant in _HIGH_POTENTIAL
        ),
        "quadrant": score.get_quadrant_display(),
    }


def quadrant_thresholds() -> dict[str, float]:
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is None:
        return {"performance": 50.0, "potential": 50.0}
    return {
        "performance": float(model.performance_threshold),
        "potential": float(model.potential_threshold),
    }


def plan_snapshot_before(*, plan: Plan, quarter: FiscalQuarter) -> PlanSnapshot | None:
    """Return the snapshot the review compares with: the last one before it."""
    return (
        PlanSnapshot.objects.filter(plan=plan, taken_at__date__lt=quarter.start)
        .order_by("-taken_at", "-id")
        .first()
    )


def plan_snapshot_at(*, plan: Plan, quarter: FiscalQuarter) -> PlanSnapshot | None:
    """Return the quarter-end snapshot of this quarter, if it was taken."""
    return PlanSnapshot.objects.filter(
        plan=plan,
        trigger=PlanSnapshot.Trigger.QUARTER_END,
        quarter_start=quarter.start,
    ).first()


def plan_snapshot_list(*, plan: Plan) -> QuerySet[PlanSnapshot]:
    return PlanSnapshot.objects.filter(plan=plan).select_related("taken_by")


def customer_link_list(*, account: Account) -> QuerySet[CustomerLink]:
    return (
        CustomerLink.objects.filter(account=account)
        .select_related("stakeholder", "created_by", "revoked_by")
        .prefetch_related("checkpoints", "events")
    )


def executive_review_pack(
    *, account: Account, quarter: FiscalQuarter, user: User | None = None
) -> dict[str, Any]:
    """Return everything the quarterly review shows, for page and exports."""
    quarters = fiscal_quarters_ending_with(quarter, TREND_QUARTERS)
    scorecard = scorecard_for_account(account=account, quarters=quarters)
    review = ExecutiveReview.objects.filter(
        account=account, quarter_start=quarter.start
    ).first()
    plan = plan_current_for_account(account=account)

    changes: list[Change] = []
    compared_from = compared_to = None
    strategies: list[Strategy] = []
    forces: list[ExternalForce] = []
    if plan is not None:
        before = plan_snapshot_before(plan=plan, quarter=quarter)
        at_end = plan_snapshot_at(plan=plan, quarter=quarter)
        after = at_end.data if at_end else snapshot_capture(plan=plan)
        if before is not None:
            changes = snapshot_diff(before.data, after)
            compared_from = before
        compared_to = at_end
        strategies = list(
            Strategy.objects.filter(plan=plan).prefetch_related(
                Prefetch(
                    "alignments",
                    queryset=Alignment.objects.select_related("product"),
                ),
                "stakeholders",
            )
        )
        forces = list(
            ExternalForce.objects.filter(plan=plan, status="active").prefetch_related(
                "strategies", "pursuits"
            )
        )

    people = list(
        Stakeholder.objects.filter(account=account, status=Stakeholder.Status.ACTIVE)
        .select_related("owner")
        .order_by("-influence", "-sentiment", "last_name")[:8]
    )
    voices = list(
        VoiceOfCustomer.objects.filter(
            account=account, said_on__gte=quarters[0].start, said_on__lte=quarter.end
        ).select_related("stakeholder")[:12]
    )
    return {
        "account": account,
        "quarter": quarter,
        "quarters": quarters,
        "scorecard": scorecard,
        "review": review,
        "plan": plan,
        "changes": changes,
        "compared_from": compared_from,
        "compared_to": compared_to,
        "path": quadrant_path(account=account, quarters=quarters),
        "thresholds": quadrant_thresholds(),
        "people": people,
        "strategies": strategies,
        "forces": forces,
        "voices": voices,
        "can_edit": account_can_edit(user=user, account=account) if user else False,
    }


def executive_review_list(*, account: Account) -> QuerySet[ExecutiveReview]:
    return ExecutiveReview.objects.filter(account=account)
