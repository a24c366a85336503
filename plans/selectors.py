"""Reads for plans: access, the plan page in a fixed number of queries, totals."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.currency import (
    DatedAmount,
    RateTable,
    Rollup,
    money_rollup,
    rate_table_load,
)
from accounts.models import Account, ChangeRecord, Product, User
from accounts.selectors import (
    account_can_edit,
    account_list_for_user,
)
from config.compiled_queries import queryset_rows
from plans.calendar import fiscal_quarter_current, fiscal_quarters_ending_with
from plans.models import (
    Action,
    Alignment,
    Checkpoint,
    Comment,
    ExternalForce,
    GateOverride,
    Plan,
    Pursuit,
    PursuitStage,
    SellCycleTemplate,
    Strategy,
)
from plans.services import item_account
from stakeholders.models import Stakeholder

# URL names for the kinds of item the page and the API edit in place.
ITEM_KINDS: dict[str, type[models.Model]] = {
    "plan": Plan,
    "strategy": Strategy,
    "alignment": Alignment,
    "pursuit": Pursuit,
    "stage": PursuitStage,
    "checkpoint": Checkpoint,
    "action": Action,
    "force": ExternalForce,
}
_ITEM_RELATED: dict[str, tuple[str, ...]] = {
    "plan": ("account",),
    "stage": ("pursuit__plan__account",),
    "checkpoint": ("stage__pursuit__plan__account",),
}


def plan_list_for_user(*, user: User) -> QuerySet[Plan]:
    return Plan.objects.filter(
        account__in=account_list_for_user(user=user).values("pk")
    ).select_related("account", "owner")


def plan_get_for_user(*, user: User, pk: int) -> Plan:
    """Return the plan if the user may see its account, else raise 404."""
    try:
        plan = plan_list_for_user(user=user).get(pk=pk)
    except Plan.DoesNotExist as error:
        raise Http404("No such plan.") from error

    # Its account was just read through the access rule, as
    # account_get_for_user marks it: the page's edit and gate checks need
    # not ask the database again.
    plan.account._seen_by = user.pk  # type: ignore[attr-defined]
    return plan


def plan_current_for_account(*, account: Account) -> Plan | None:
    """Return the account's open plan for the latest period, if any."""
    plans = queryset_rows(
        "plans.current_for_account",
        lambda account_id: (
            Plan.objects.filter(account_id=account_id)
            .exclude(status=Plan.Status.CLOSED)
            .order_by("-fiscal_year")[:1]
        ),
        account_id=account.pk,
    )
    return plans[0] if plans else None


def item_get_for_user(*, user: User, kind: str, pk: int) -> models.Model:
    """Return a plan item of this kind if the user may see it, else 404."""
    model = ITEM_KINDS.get(kind)
    if model is None:
        raise Http404("No such kind of plan item.")
    related = _ITEM_RELATED.get(kind, ("plan__account",))
    try:
        item = model._default_manager.select_related(*related).get(pk=pk)
    except ObjectDoesNotExist as error:
        raise Http404("No such plan item.") from error
    visible = account_list_for_user(user=user).filter(pk=item_account(item).pk)
    if not visible.exists():
        raise Http404("No such plan item.")
    return item


def item_kind(item: models.Model) -> str:
    for kind, model in ITEM_KINDS.items():
        if isinstance(item, model):
            return kind
    raise ValueError(f"{type(item).__name__} is not a plan item")


@dataclass
class PursuitMoney:
    """The reporting currency and its stored rates, read once per page."""

    reporting_currency: str
    rates: RateTable

    @classmethod
    def load(cls, *, rates: RateTable | None = None) -> "PursuitMoney":
        """Return the active currency's rates: those given, else read now."""
        rates = rates or rate_table_load()
        return cls(rates.reporting_currency, rates)


@dataclass
class OutcomeTotal:
    """Pursuits of one outcome: how many, and their amounts converted.

    `amount` is the total in the reporting currency of the amounts a stored
    rate converts; `note` says which rates were used and what was left out.
    """

    count: int = 0
    amounts: list[DatedAmount] = field(default_factory=list)
    rollup: Rollup | None = None

    def add(self, *, amount: Decimal, currency: str, day: date | None) -> None:
        self.count += 1
        self.amounts.append(DatedAmount(amount=amount, currency=currency, day=day))

    def convert(self, money: PursuitMoney) -> "OutcomeTotal":
        self.rollup = money_rollup(
            amounts=self.amounts,
            rates=money.rates,
            reporting_currency=money.reporting_currency,
            noun="pursuit",
        )
        return self

    @property
    def amount(self) -> Decimal:
        return self.rollup.total if self.rollup else Decimal(0)

    @property
    def currency(self) -> str:
        return self.rollup.reporting_currency if self.rollup else ""

    @property
    def complete(self) -> bool:
        return self.rollup.complete if self.rollup else True

    @property
    def counted(self) -> int:
        """Return how many pursuits the converted amount includes."""
        if self.rollup is None:
            return self.count
        return self.count - sum(lost.count for lost in self.rollup.left_out.values())

    @property
    def count_text(self) -> str:
        """Return "3 pursuits", or "2 of 3 pursuits in the total"."""
        noun = "pursuit" if self.count == 1 else "pursuits"
        if self.counted == self.count:
            return f"{self.count:,} {noun}"
        return f"{self.counted:,} of {self.count:,} {noun} in the total"

    @property
    def note(self) -> str:
        """Return how the total was reached, when not all in one currency."""
        if self.rollup is None or not (self.rollup.rates_used or self.rollup.left_out):
            return ""
        return self.rollup.describe()


def outcome_notes(totals: dict[str, OutcomeTotal]) -> list[str]:
    """Return, per outcome whose total needed rates, how it was reached."""
    labels = dict(Pursuit.Outcome.choices)
    return [
        f"{labels[key]}: {total.note}" for key, total in totals.items() if total.note
    ]


def outcome_totals_empty() -> dict[str, OutcomeTotal]:
    return {outcome: OutcomeTotal() for outcome in Pursuit.Outcome.values}


def outcome_totals_convert(
    totals: dict[str, OutcomeTotal], money: PursuitMoney
) -> dict[str, OutcomeTotal]:
    for total in totals.values():
        total.convert(money)
    return totals


# Quarters the outcome figures cover, on the plans list as on the dashboard.
OUTCOME_QUARTERS = 4


def pursuit_outcome_counts_in(
    *, outcome: str, closed_on: date | None, start: date, end: date
) -> bool:
    """Return whether an ended pursuit counts among the outcomes of a period.

    The one rule for outcome figures, on the plans list and the manager
    dashboard alike: a pursuit counts in the period its close date falls in,
    for its account, whatever the status of the plan that held it. A win in
    a prior-year plan closed since still counts in the quarter it was won.
    """
    return (
        outcome != Pursuit.Outcome.OPEN
        and closed_on is not None
        and start <= closed_on <= end
    )


def pursuit_outcomes_closed_for_user(
    *, user: User, start: date, end: date
) -> dict[int, dict[str, OutcomeTotal]]:
    """Return count and amount per outcome closed in the period, by account.

    Every plan of the accounts the user may see, closed plans included.
    """
    totals: dict[int, dict[str, OutcomeTotal]] = {}
    pursuits = Pursuit.objects.filter(
        plan__account__in=account_list_for_user(user=user).values("pk"),
        closed_on__range=(start, end),
    ).values_list("plan__account_id", "outcome", "closed_on", "amount", "currency")
    for account_id, outcome, closed_on, amount, currency in pursuits:
        if not pursuit_outcome_counts_in(
            outcome=outcome, closed_on=closed_on, start=start, end=end
        ):
            continue
        account = totals.setdefault(account_id, outcome_totals_empty())
        account[outcome].add(amount=amount, currency=currency, day=closed_on)
    return totals


def pursuit_outcome_totals(
    *, pursuits: Iterable[Pursuit], money: PursuitMoney | None = None
) -> dict[str, OutcomeTotal]:
    """Return count and converted amount per outcome.

    No decision is never folded in lost. Each amount converts at the rate
    of its pursuit's money_day, as revenue does.
    """
    totals = outcome_totals_empty()
    for pursuit in pursuits:
        totals[pursuit.outcome].add(
            amount=pursuit.amount, currency=pursuit.currency, day=pursuit.money_day
        )
    return outcome_totals_convert(totals, money or PursuitMoney.load())


@dataclass
class BalanceRow:
    label: str
    pipeline: Decimal = Decimal(0)
    effort_days: int = 0
    pursuits: int = 0

    def share(self, total: Decimal) -> int:
        return round(self.pipeline * 100 / total) if total else 0


@dataclass
class Balance:
    rows: dict[str, BalanceRow] = field(default_factory=dict)
    reporting_currency: str = ""
    # How the open pipeline was converted; names what no rate converts.
    note: str = ""

    @property
    def pipeline(self) -> Decimal:
        return sum((row.pipeline for row in self.rows.values()), Decimal(0))

    @property
    def effort_days(self) -> int:
        return sum(row.effort_days for row in self.rows.values())

    def percentages(self) -> list[dict[str, Any]]:
        pipeline, effort = self.pipeline, self.effort_days
        return [
            {
                "key": key,
                "label": row.label,
                "pipeline": row.pipeline,
                "pipeline_share": round(row.pipeline * 100 / pipeline)
                if pipeline
                else 0,
                "effort_days": row.effort_days,
                "effort_share": round(row.effort_days * 100 / effort) if effort else 0,
                "pursuits": row.pursuits,
            }
            for key, row in self.rows.items()
        ]


def plan_balance(
    *,
    pursuits: Iterable[Pursuit],
    alignments: Iterable[Alignment],
    strategy_kinds: dict[int, str],
    money: PursuitMoney | None = None,
) -> Balance:
    """Split open pipeline and planned effort between strategies and initiatives.

    The pipeline is in the reporting currency; a pursuit no stored rate
    converts counts among the pursuits but not in the pipeline, and the
    note says so.
    """
    money = money or PursuitMoney.load()
    balance = Balance(
        rows={
            Strategy.Kind.STRATEGY: BalanceRow("Long-term strategies"),
            Strategy.Kind.INITIATIVE: BalanceRow("Short-term initiatives"),
            "none": BalanceRow("Not tied to either"),
        },
        reporting_currency=money.reporting_currency,
    )
    open_pursuits = [pursuit for pursuit in pursuits if pursuit.is_open]
    total = OutcomeTotal()
    for pursuit in open_pursuits:
        total.add(
            amount=pursuit.amount, currency=pursuit.currency, day=pursuit.money_day
        )
    total.convert(money)
    assert total.rollup is not None
    for pursuit, converted in zip(open_pursuits, total.rollup.converted, strict=True):
        row = balance.rows[strategy_kinds.get(pursuit.strategy_id or 0, "none")]
        row.pipeline += converted if converted is not None else Decimal(0)
        row.pursuits += 1
    balance.note = total.note
    for alignment in alignments:
        row = balance.rows[strategy_kinds.get(alignment.strategy_id, "none")]
        row.effort_days += alignment.effort_days
    return balance


def pursuit_progress(*, pursuit: Pursuit) -> dict[str, int]:
    """Return claimed versus validated progress from prefetched stages.

    Claimed is the stage the pursuit sits in; validated counts the stages
    from the start whose required checkpoints all carry evidence.
    """
    stages = list(pursuit.stages.all())
    claimed = next(
        (
            index
            for index, stage in enumerate(stages, start=1)
            if stage.pk == pursuit.current_stage_id
        ),
        0,
    )
    validated = 0
    checkpoints = 0
    checkpoints_validated = 0
    for stage in stages:
        checkpoints += len(stage.checkpoints.all())
        checkpoints_validated += sum(
            1 for checkpoint in stage.checkpoints.all() if checkpoint.is_validated
        )
    # A stage counts as validated progress once it is behind the pursuit and
    # every required checkpoint in it, and in the stages before, has evidence.
    for index, stage in enumerate(stages[: max(claimed - 1, 0)], start=1):
        required = [c for c in stage.checkpoints.all() if c.required]
        if not all(checkpoint.is_validated for checkpoint in required):
            break
        validated = index
    return {
        "stages": len(stages),
        "claimed": claimed,
        "validated": validated,
        "checkpoints": checkpoints,
        "checkpoints_validated": checkpoints_validated,
    }


def plan_history_all(*, plan: Plan) -> QuerySet[ChangeRecord]:
    """Return every recorded change to this plan's items, unordered.

    History lives on the account; a plan's share is every plan-app change
    since the plan began, which includes its carried-forward items.
    """
    types = ContentType.objects.get_for_models(*ITEM_KINDS.values()).values()
    return ChangeRecord.objects.filter(
        account_id=plan.account_id,
        content_type__in=[content_type.pk for content_type in types],
        changed_at__gte=plan.created_at,
    ).select_related("changed_by")


def plan_history(*, plan: Plan, limit: int = 60) -> QuerySet[ChangeRecord]:
    """Return the plan's last `limit` recorded changes, newest first."""
    return plan_history_all(plan=plan).order_by("-changed_at", "-id")[:limit]


def plan_detail(*, plan: Plan, user: User, today: date | None = None) -> dict[str, Any]:
    """Return everything the plan page shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    forces = queryset_rows(
        "plans.detail_forces",
        lambda plan_id: ExternalForce.objects.filter(plan_id=plan_id).prefetch_related(
            "strategies", "pursuits"
        ),
        plan_id=plan.pk,
    )
    at_risk_strategies = {
        strategy.pk
        for force in forces
        if force.is_active
        for strategy in force.strategies.all()
    }
    at_risk_pursuits = {
        pursuit.pk
        for force in forces
        if force.is_active
        for pursuit in force.pursuits.all()
    }
    strategies = queryset_rows(
        "plans.detail_strategies",
        lambda plan_id: Strategy.objects.filter(plan_id=plan_id).prefetch_related(
            "stakeholders"
        ),
        plan_id=plan.pk,
    )
    alignments = queryset_rows(
        "plans.detail_alignments",
        lambda plan_id: Alignment.objects.filter(plan_id=plan_id).select_related(
            "product", "strategy"
        ),
        plan_id=plan.pk,
    )
    stages = PursuitStage.objects.prefetch_related(
        Prefetch(
            "checkpoints",
            queryset=Checkpoint.objects.select_related("validated_by"),
        )
    )
    pursuits = queryset_rows(
        "plans.detail_pursuits",
        lambda plan_id: (
            Pursuit.objects.filter(plan_id=plan_id)
            .select_related("product", "strategy", "owner", "current_stage", "template")
            .prefetch_related(
                Prefetch("stages", queryset=stages),
                Prefetch(
                    "gate_overrides",
                    queryset=GateOverride.objects.select_related(
                        "overridden_by", "from_stage", "to_stage"
                    ),
                ),
            )
        ),
        plan_id=plan.pk,
    )
    actions = queryset_rows(
        "plans.detail_actions",
        lambda plan_id: Action.objects.filter(plan_id=plan_id).select_related(
            "owner", "strategy", "pursuit", "stakeholder"
        ),
        plan_id=plan.pk,
    )
    stakeholders = queryset_rows(
        "plans.detail_stakeholders",
        lambda account_id: Stakeholder.objects.filter(account_id=account_id).order_by(
            "last_name", "first_name"
        ),
        account_id=plan.account_id,
    )
    team = queryset_rows(
        "plans.detail_team",
        lambda account_id: User.objects.filter(
            account_memberships__account_id=account_id
        ).order_by("last_name", "username"),
        account_id=plan.account_id,
    )

    for strategy in strategies:
        strategy.at_risk = strategy.pk in at_risk_strategies  # type: ignore[attr-defined]
        strategy.aligned = [a for a in alignments if a.strategy_id == strategy.pk]  # type: ignore[attr-defined]
    claimed = validated = 0
    for pursuit in pursuits:
        pursuit.at_risk = pursuit.pk in at_risk_pursuits  # type: ignore[attr-defined]
        pursuit.progress = pursuit_progress(pursuit=pursuit)  # type: ignore[attr-defined]
        if pursuit.is_open:
            claimed += pursuit.progress["claimed"]  # type: ignore[attr-defined]
            validated += pursuit.progress["validated"]  # type: ignore[attr-defined]
    for action in actions:
        action.flag_overdue = action.is_overdue(today)  # type: ignore[attr-defined]

    kinds = {strategy.pk: strategy.kind for strategy in strategies}
    may_write = account_can_edit(user=user, account=plan.account)
    money = PursuitMoney.load()
    outcomes = pursuit_outcome_totals(pursuits=pursuits, money=money)
    return {
        "plan": plan,
        # A closed plan is kept as it was: no edit controls, but the team may
        # still comment, reopen it or start the next period.
        "can_edit": may_write and plan.status != Plan.Status.CLOSED,
        "may_write": may_write,
        "plan_closed": plan.status == Plan.Status.CLOSED,
        "strategies": strategies,
        "alignments": alignments,
        "pursuits": pursuits,
        "actions": actions,
        "forces": forces,
        "stakeholders": stakeholders,
        "team": team,
        "products": queryset_rows("plans.detail_products", Product.objects.catalogue),
        "templates": queryset_rows(
            "plans.detail_templates",
            lambda: SellCycleTemplate.objects.filter(is_active=True),
        ),
        "comments": queryset_rows(
            "plans.detail_comments",
            lambda plan_id: Comment.objects.filter(plan_id=plan_id).select_related(
                "author"
            )[:50],
            plan_id=plan.pk,
        ),
        "history": list(plan_history(plan=plan)),
        "outcomes": outcomes,
        "money_notes": outcome_notes(outcomes),
        # New pursuits start in it; read once with the rates above.
        "reporting_currency": money.reporting_currency,
        "balance": plan_balance(
            pursuits=pursuits, alignments=alignments, strategy_kinds=kinds, money=money
        ),
        "progress": {"claimed": claimed, "validated": validated},
        "overdue_count": len(
            [action for action in actions if action.flag_overdue]  # type: ignore[attr-defined]
        ),
        "next_plan": plan.next_plans.first(),
        "today": today,
    }


def plan_team_overview(*, user: User) -> dict[str, Any]:
    """Return the visible plans of the latest periods with totals and balance."""
    plans = list(plan_list_for_user(user=user).exclude(status=Plan.Status.CLOSED))
    plan_ids = [plan.pk for plan in plans]
    pursuits = list(Pursuit.objects.filter(plan_id__in=plan_ids))
    alignments = list(Alignment.objects.filter(plan_id__in=plan_ids))
    kinds = dict(
        Strategy.objects.filter(plan_id__in=plan_ids).values_list("pk", "kind")
    )
    overdue: defaultdict[int, int] = defaultdict(int)
    for plan_id in Action.objects.filter(
        plan_id__in=plan_ids,
        status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS],
        due_on__lt=timezone.localdate(),
    ).values_list("plan_id", flat=True):
        overdue[plan_id] += 1

    quarters = fiscal_quarters_ending_with(fiscal_quarter_current(), OUTCOME_QUARTERS)
    start, end = quarters[0].start, quarters[-1].end
    closed = pursuit_outcomes_closed_for_user(user=user, start=start, end=end)
    money = PursuitMoney.load()
    none_closed = outcome_totals_convert(outcome_totals_empty(), money)

    rows = []
    for plan in plans:
        own = [p for p in pursuits if p.plan_id == plan.pk]
        by_outcome = pursuit_outcome_totals(pursuits=own, money=money)
        account_closed = closed.get(plan.account_id)
        rows.append(
            {
                "plan": plan,
                "open": by_outcome[Pursuit.Outcome.OPEN],
                "outcomes": (
                    outcome_totals_convert(account_closed, money)
                    if account_closed
                    else none_closed
                ),
                "balance": plan_balance(
                    pursuits=own,
                    alignments=[a for a in alignments if a.plan_id == plan.pk],
                    strategy_kinds=kinds,
                    money=money,
                ),
                "overdue": overdue[plan.pk],
            }
        )
    outcomes = outcome_totals_empty()
    for account in closed.values():
        for value, total in account.items():
            outcomes[value].count += total.count
            outcomes[value].amounts.extend(total.amounts)
    outcome_totals_convert(outcomes, money)
    # Open pursuits are the pipeline of the open plans, whenever they began.
    outcomes[Pursuit.Outcome.OPEN] = pursuit_outcome_totals(
        pursuits=pursuits, money=money
    )[Pursuit.Outcome.OPEN]
    return {
        "rows": rows,
        "outcomes": outcomes,
        "outcome_period": f"{quarters[0].label} to {quarters[-1].label}",
        "reporting_currency": money.reporting_currency,
        "money_notes": outcome_notes(outcomes),
        "balance": plan_balance(
            pursuits=pursuits, alignments=alignments, strategy_kinds=kinds, money=money
        ),
    }
