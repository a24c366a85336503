"""Fill four quarters of scorecards, reviews and snapshots for a few accounts.

Everything it writes is synthetic and labelled so: measures, targets and
actuals, customer ratings, voice-of-customer entries, executive reviews,
manager reviews, quarter-end snapshots and a kept score run per past quarter
(so the review shows a quadrant path; the first account changes quadrant).
Nothing is dated after today. It is deterministic: the same accounts, the
demo team's first and then in name order, get the same figures, placed in
the four fiscal quarters up to today.
"""

import copy
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Account, Team, User
from plans.calendar import (
    FiscalQuarter,
    fiscal_quarter_current,
    fiscal_quarters_ending_with,
    local_date,
    organisation_zone,
)
from plans.manager_reviews import manager_review_create
from plans.models import (
    CustomerRating,
    ExecutiveReview,
    MeasureQuarter,
    Plan,
    PlanSnapshot,
    ValueMeasure,
    VoiceOfCustomer,
)
from plans.snapshots import snapshot_capture
from scoring.computation import window_label
from scoring.models import AccountScore, ScoreRun, ScoringModel
from stakeholders.models import Stakeholder

MARKER = "Synthetic demo"
ACCOUNT_COUNT = 5
QUARTERS = 4

# name, unit, direction, baseline, quarterly step of the target
MEASURES = [
    ("Hours saved per month", "hours", "up", 400, 120),
    ("Order-to-cash cycle", "days", "down", 46, -3),
    ("First-time-right deliveries", "%", "up", 88, 1.5),
    ("Unplanned downtime", "hours/qtr", "down", 120, -12),
]
QUOTES = [
    ("praise", "The plant team finally trusts the numbers in the weekly review."),
    ("quote", "If the rollout slips again we will have to explain it to the board."),
    ("complaint", "Support tickets about the new module took far too long to close."),
    ("praise", "Your engineers understood our process better than our last vendor."),
    ("quote", "We want the same results in the second region before we commit."),
]
DECISIONS = [
    (
        "Extend the pilot to the second region; customer sponsors the data work.",
        "Draft the statement of work; agree success measures for the new region.",
    ),
    (
        "Keep the current scope; fix support response times first.",
        "Weekly support review until tickets close within five days.",
    ),
    (
        "Add the planning module to next year's budget request.",
        "Joint business case to the CFO before budget lock.",
    ),
]

# coaching points, agreed actions
REVIEW_POINTS = [
    (
        "Map the economic buyer before the proposal; the champion cannot sign.",
        "Book a meeting with the CFO's office this month.",
    ),
    (
        "Two pursuits claim a stage their checkpoints do not support.",
        "Validate the finance review or move the stage back.",
    ),
    (
        "Whitespace in services is untouched; pick one cell to open.",
        "Draft a services pilot offer for the operations lead.",
    ),
]


class Command(BaseCommand):
    help = "Create synthetic scorecards, reviews and snapshots (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=ACCOUNT_COUNT)

    def handle(self, *args: Any, count: int, **options: Any) -> None:
        if ValueMeasure.objects.filter(source__startswith=MARKER).exists():
            self.stdout.write("Demo scorecards already exist; nothing to do.")
            return
        # The demo logs in the manager and a rep of the team with the most
        # accounts; their accounts come first, so their reviews show trends.
        team = (
            Team.objects.filter(manager__isnull=False)
            .annotate(
                accounts=Count("members__account_memberships__account", distinct=True)
            )
            .order_by("-accounts", "name")
            .first()
        )
        open_plans = Plan.objects.exclude(status=Plan.Status.CLOSED).select_related(
            "account", "owner"
        )
        ours = open_plans.filter(account__team_members__team=team).distinct()
        plans = list(ours.order_by("account__name")[:count])
        plans += list(
            open_plans.exclude(pk__in=[plan.pk for plan in plans]).order_by(
                "account__name"
            )[: count - len(plans)]
        )
        if not plans:
            self.stdout.write("No plans yet: run plans_demo first.")
            return

        quarters = fiscal_quarters_ending_with(fiscal_quarter_current(), QUARTERS)
        self._score_history([plan.account for plan in plans], quarters)
        for index, plan in enumerate(plans):
            with transaction.atomic():
                self._account(index, plan, quarters)
        self.stdout.write(
            f"Created synthetic scorecards, reviews and snapshots for {len(plans)} "
            f"accounts over {quarters[0].label} to {quarters[-1].label}."
        )

    def _score_history(
        self, accounts: list[Account], quarters: list[FiscalQuarter]
    ) -> None:
        """Keep one synthetic score run per past quarter, drifting to today's."""
        model = ScoringModel.objects.filter(is_active=True).first()
        current = {
            score.account_id: score
            for score in AccountScore.objects.filter(
                run__is_current=True, account__in=accounts
            )
        }
        if model is None or not current:
            return
        performance_line = float(model.performance_threshold)
        currency = next(iter(current.values())).run.summary.get("reporting_currency")
        for back, quarter in enumerate(reversed(quarters[:-1]), start=1):
            # A finished run, as the page shows one, with the window it
            # stands for; it read no revenue lines, and says so by its 0.
            finished = timezone.now()
            run = ScoreRun.objects.create(
                scoring_model=model,
                status=ScoreRun.Status.SUCCEEDED,
                trigger="demo-history",
                message=f"{MARKER}: past scores for the review demo only",
                as_of=quarter.end,
                accounts_scored=len(current),
                progress=100,
                started_at=finished,
                finished_at=finished,
                summary={
                    "window": {
                        "as_of": quarter.end.isoformat(),
                        "label": window_label(quarter.end),
                    },
                    "reporting_currency": currency or "USD",
                },
            )
            scores = []
            for account in accounts:
                now = current.get(account.pk)
                if now is None:
                    continue
                rng = random.Random(f"{account.name}-{back}")
                performance = max(0.0, now.performance - back * rng.uniform(2, 7))
                potential = min(100.0, now.potential + back * rng.uniform(-2, 5))
                if account.pk == accounts[0].pk and back >= 2:
                    # The first account crossed the performance line since
                    # two quarters ago, so its path changes quadrant.
                    performance = (
                        performance_line - 6 - back
                        if now.performance >= performance_line
                        else performance_line + 6 + back
                    )
                    performance = min(100.0, max(0.0, performance))
                quadrant = _quadrant(model, performance, potential)
                scores.append(
                    AccountScore(
                        run=run,
                        account=account,
                        performance=round(performance, 1),
                        potential=round(potential, 1),
                        quadrant=quadrant,
                        tier=now.tier,
                        ttm_revenue=now.ttm_revenue,
                        stored_components={},
                    )
                )
            AccountScore.objects.bulk_create(scores)

    def _account(self, index: int, plan: Plan, quarters: list[FiscalQuarter]) -> None:
        account = plan.account
        # Nothing the demo records happens after today.
        today = local_date(timezone.now())
        rng = random.Random(account.name)
        owner = plan.owner
        people = list(
            Stakeholder.objects.filter(
                account=account, status=Stakeholder.Status.ACTIVE
            ).order_by("-influence", "last_name")[:3]
        )

        for position, (name, unit, direction, baseline, step) in enumerate(
            MEASURES[index % 2 : index % 2 + 3]
        ):
            measure = ValueMeasure.objects.create(
                account=account,
                name=name,
                unit=unit,
                direction=direction,
                baseline=Decimal(str(baseline)),
                source=f"{MARKER}: joint monthly report",
                position=position,
                created_by=owner,
            )
            for number, quarter in enumerate(quarters, start=1):
                target = baseline + step * number
                # Actuals trail or beat the target by up to a fifth of a step
                # or two; the current quarter is filled in part only.
                actual = target + step * rng.uniform(-1.4, 0.8)
                is_current = number == len(quarters)
                MeasureQuarter.objects.create(
                    measure=measure,
                    quarter_start=quarter.start,
                    target=Decimal(str(round(target, 1))),
                    actual=None if is_current and position else _decimal(actual),
                    note="So far this quarter." if is_current and not position else "",
                    updated_by=owner,
                )

        for number, quarter in enumerate(quarters):
            for person in people[:2]:
                CustomerRating.objects.create(
                    account=account,
                    quarter_start=quarter.start,
                    stakeholder=person,
                    score=min(10, max(1, 6 + number // 2 + rng.randint(-1, 2))),
                    comment=f"{MARKER} rating.",
                    recorded_by=owner,
                )
            kind, body = QUOTES[(index + number) % len(QUOTES)]
            speaker = people[number % len(people)] if people else None
            VoiceOfCustomer.objects.create(
                account=account,
                kind=kind,
                body=body,
                stakeholder=speaker,
                speaker="" if speaker else "Plant manager (synthetic)",
                said_on=min(
                    today, quarter.start + timedelta(days=20 + rng.randint(0, 40))
                ),
                recorded_by=owner,
            )
            VoiceOfCustomer.objects.create(
                account=account,
                kind=VoiceOfCustomer.Kind.SURVEY,
                body="Quarterly satisfaction survey (synthetic).",
                score=Decimal(str(round(7 + number * 0.3 + rng.uniform(-0.5, 0.5), 1))),
                score_max=Decimal(10),
                speaker="Customer survey",
                said_on=min(today, quarter.end - timedelta(days=10)),
                recorded_by=owner,
            )

        self._snapshots(plan, quarters, owner)
        self._manager_reviews(index, plan, today)
        for number, quarter in enumerate(quarters[:-1]):
            decisions, next_steps = DECISIONS[(index + number) % len(DECISIONS)]
            ExecutiveReview.objects.create(
                account=account,
                quarter_start=quarter.start,
                held_on=quarter.end - timedelta(days=5),
                attendees=(
                    ", ".join(person.name for person in people[:2])
                    + (f", {owner.display_name}" if owner else "")
                ),
                decisions=f"{decisions} ({MARKER})",
                next_steps=next_steps,
                snapshot=PlanSnapshot.objects.filter(
                    plan=plan, quarter_start=quarter.start
                ).first(),
                updated_by=owner,
            )

    def _manager_reviews(self, index: int, plan: Plan, today: date) -> None:
        """Record a few manager reviews, the latest recent for most plans.

        The fifth plan of every five keeps none, so the dashboard shows both.
        """
        manager = (
            User.objects.filter(
                managed_teams__members__account_memberships__account=plan.account
            )
            .order_by("pk")
            .first()
        )
        if manager is None or index % 5 == 4:
            return
        team = list(plan.account.team_members.order_by("pk")[:2])
        # Days ago: an older review last quarter, then a recent one.
        for days_ago, points in (
            (100 + 3 * index, REVIEW_POINTS[index % len(REVIEW_POINTS)]),
            (6 + 5 * index, REVIEW_POINTS[(index + 1) % len(REVIEW_POINTS)]),
        ):
            reviewed_on = today - timedelta(days=days_ago)
            coaching, agreed = points
            manager_review_create(
                user=manager,
                plan=plan,
                reviewed_on=reviewed_on,
                coaching_points=f"{coaching} ({MARKER})",
                agreed_actions=agreed,
                # The next review is agreed for later: a plan, not an event.
                next_review_on=reviewed_on + timedelta(days=42),
                attendees=team,
            )

    def _snapshots(
        self, plan: Plan, quarters: list[FiscalQuarter], owner: User | None
    ) -> None:
        """Close each past quarter with an older-looking copy of today's plan."""
        now = snapshot_capture(plan=plan)
        zone = organisation_zone()
        past = quarters[:-1]
        for back, quarter in enumerate(reversed(past), start=1):
            data = _older(now, back)
            PlanSnapshot.objects.create(
                plan=plan,
                trigger=PlanSnapshot.Trigger.QUARTER_END,
                quarter_start=quarter.start,
                label=f"End of {quarter.label} ({MARKER.lower()})",
                data=data,
                taken_by=None,
                taken_at=datetime.combine(quarter.end, time(23, 59), tzinfo=zone),
            )


def _older(capture: dict[str, Any], back: int) -> dict[str, Any]:
    """Return a plausible earlier state: fewer items, less validated, cooler."""
    data = copy.deepcopy(capture)
    for section in ("strategies", "pursuits"):
        keys = sorted(data[section], key=int)
        for key in keys[max(len(keys) - back, 1) :]:
            del data[section][key]
    for key, person in data["people"].items():
        if int(key) % (back + 1) == 0 and person["sentiment"] in {"Ally", "Supporter"}:
            person["sentiment"] = "Neutral"
    for key, checkpoint in data["checkpoints"].items():
        if int(key) % 2 == back % 2:
            checkpoint["validated"] = "no"
    for pursuit in data["pursuits"].values():
        pursuit["amount"] = f"{Decimal(pursuit['amount']) * Decimal('0.8'):.2f}"
    for cell in data["whitespace"].values():
        if cell["state"] in {"pursued", "won"} and back > 1:
            cell["state"] = "open"
    return data


def _quadrant(model: ScoringModel, performance: float, potential: float) -> str:
    high_performance = performance >= float(model.performance_threshold)
    high_potential = potential >= float(model.potential_threshold)
    if high_performance and high_potential:
        return AccountScore.Quadrant.GROW
    if high_potential:
        return AccountScore.Quadrant.EXPAND
    if high_performance:
        return AccountScore.Quadrant.MAINTAIN
    return AccountScore.Quadrant.MONITOR


def _decimal(value: float) -> Decimal:
    return Decimal(str(round(value, 1)))
