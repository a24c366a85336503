"""Build living plans for a dozen bundled accounts, in varied states.

Every plan, strategy and pursuit it writes is synthetic and says so. It is
deterministic: the same accounts, in name order, get the same content, with
dates relative to today so overdue actions stay overdue.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Product, User
from accounts.selectors import whitespace_bought_since
from plans.models import Plan, Pursuit, SellCycleTemplate, Strategy
from plans.periods import fiscal_year_for
from plans.services import (
    action_create,
    alignment_create,
    checkpoint_validate,
    external_force_create,
    plan_create,
    plan_item_update,
    plan_start_next,
    pursuit_advance,
    pursuit_create,
    strategy_create,
)

MARKER = "Synthetic demo plan"
PLAN_COUNT = 14

STRATEGIES = [
    ("strategy", "Grow recurring revenue outside the home market", "long"),
    ("strategy", "Move every plant onto one operations platform", "multi_year"),
    ("initiative", "Cut onboarding time for new field staff this year", "year"),
    ("initiative", "Pass the regulator's data audit next quarter", "quarter"),
    ("strategy", "Halve the cost to serve a customer by 2030", "long"),
]
FORCES = [
    ("regulation", "New data-residency rules in the EU", "high"),
    ("budget_freeze", "Capital spending frozen until the next fiscal year", "high"),
    ("merger", "Announced merger with a competitor", "medium"),
]


def _walk_to_last_stage(*, user: User, pursuit: Pursuit, today: date) -> Pursuit:
    """Validate each stage's required checkpoints and advance to the last."""
    while True:
        pursuit.refresh_from_db()
        current = pursuit.current_stage
        assert current is not None
        for checkpoint in current.checkpoints.filter(required=True):
            if not checkpoint.is_validated:
                checkpoint_validate(
                    user=user,
                    checkpoint=checkpoint,
                    version=checkpoint.version,
                    evidence="Synthetic: the buyer did this in a meeting.",
                    happened_on=today - timedelta(days=2),
                )
        if current == pursuit.stages.last():
            return pursuit
        pursuit_advance(user=user, pursuit=pursuit, version=pursuit.version)


class Command(BaseCommand):
    help = "Create synthetic account plans for the bundled accounts (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=PLAN_COUNT)

    def handle(self, *args: Any, count: int, **options: Any) -> None:
        if Plan.objects.filter(summary__startswith=MARKER).exists():
            self.stdout.write("Demo plans already exist; nothing to do.")
            return
        accounts = list(
            Account.objects.filter(team_memberships__isnull=False)
            .distinct()
            .order_by("name")[:count]
        )
        products = list(Product.objects.order_by("name"))
        templates = list(SellCycleTemplate.objects.order_by("name"))
        if not accounts or not products or not templates:
            self.stdout.write(
                "No accounts with a team, products or templates: run demo_setup first."
            )
            return

        today = timezone.localdate()
        made = 0
        for index, account in enumerate(accounts):
            with transaction.atomic():
                self._plan(index, account, products, templates, today)
            made += 1
        self.stdout.write(f"Created {made} synthetic account plans.")

    def _people(self, account: Account) -> tuple[User | None, User | None]:
        rep = account.team_members.order_by("username").first()
        manager = rep.team.manager if rep and rep.team else None
        return rep, manager

    def _plan(
        self,
        index: int,
        account: Account,
        products: list[Product],
        templates: list[SellCycleTemplate],
        today: Any,
    ) -> None:
        rep, manager = self._people(account)
        if rep is None:
            return
        year = fiscal_year_for(today)
        summary = (
            f"{MARKER}: invented content to show the product. Focus on the "
            f"whitespace at {account.name} and on who really decides."
        )
        # Every fourth account also has last year's plan, carried forward.
        if index % 4 == 3:
            previous = plan_create(
                user=rep, account=account, fiscal_year=year - 1, summary=summary
            )
            self._fill(index, previous, rep, manager, products, templates, today)
            plan_start_next(user=rep, plan=previous)
            return
        plan = plan_create(user=rep, account=account, fiscal_year=year, summary=summary)
        if index % 7 == 6:
            return  # a fresh plan with nothing in it yet
        self._fill(index, plan, rep, manager, products, templates, today)

    def _fill(
        self,
        index: int,
        plan: Plan,
        rep: User,
        manager: User | None,
        products: list[Product],
        templates: list[SellCycleTemplate],
        today: Any,
    ) -> None:
        owned = {
            product_id
            for _account_id, product_id in whitespace_bought_since(
                account_ids=[plan.account_id]
            )
        }
        whitespace = [p for p in products if p.pk not in owned] or products
        people = list(plan.account.stakeholders.order_by("pk")[:3])

        strategies = []
        for offset in range(3):
            kind, title, horizon = STRATEGIES[(index + offset) % len(STRATEGIES)]
            strategies.append(
                strategy_create(
                    user=rep,
                    plan=plan,
                    values={
                        "kind": kind,
                        "title": title,
                        "horizon": horizon,
                        "priority": ["high", "medium", "low"][offset],
                        "source": ["annual_report", "analyst", "meeting"][offset],
                        "source_detail": "Synthetic: invented for the demo.",
                        "description": "Synthetic demo strategy.",
                        "stakeholders": people[offset : offset + 1],
                    },
                )
            )
        for offset, strategy in enumerate(strategies[:2]):
            alignment_create(
                user=rep,
                plan=plan,
                values={
                    "strategy": strategy,
                    "product": whitespace[(index + offset) % len(whitespace)],
                    "customer_value": "Synthetic: fewer hours lost to manual work.",
                    "effort_days": 5 + 10 * offset + index,
                },
            )

        pursuits = []
        for offset in range(3):
            product = whitespace[(index * 3 + offset) % len(whitespace)]
            pursuits.append(
                pursuit_create(
                    user=rep,
                    plan=plan,
                    template=templates[(index + offset) % len(templates)],
                    values={
                        "name": f"{product.name} for {plan.account.name} (demo)",
                        "product": product,
                        "strategy": strategies[offset],
                        "amount": Decimal(10000 + 7500 * ((index + offset) % 6)),
                        "expected_close_on": today + timedelta(days=30 * (offset + 1)),
                    },
                )
            )

        # The first pursuit has its first gate validated and moved on.
        first = pursuits[0]
        assert first.current_stage is not None
        for checkpoint in first.current_stage.checkpoints.all():
            checkpoint_validate(
                user=rep,
                checkpoint=checkpoint,
                version=checkpoint.version,
                evidence="Synthetic: the buyer did this in a demo meeting.",
                happened_on=today - timedelta(days=7),
            )
        first.refresh_from_db()
        pursuit_advance(user=rep, pursuit=first, version=first.version)

        second = pursuits[1]
        if index == 1 and manager is not None:
            second.refresh_from_db()
            pursuit_advance(
                user=manager,
                pursuit=second,
                version=second.version,
                override_reason="Synthetic: the CFO confirmed the budget by phone.",
            )
        third = pursuits[2]
        third.refresh_from_db()
        outcome = ["open", "won", "no_decision", "lost", "open"][index % 5]
        if outcome == "won":
            # A win passes every gate first, as the rules require.
            third = _walk_to_last_stage(user=rep, pursuit=third, today=today)
        closing: dict[str, object] = {
            "won": {"outcome": "won"},
            "lost": {
                "outcome": "lost",
                "outcome_reason": "Synthetic: a competitor undercut the price.",
            },
            "no_decision": {
                "outcome": "no_decision",
                "outcome_reason": "Synthetic: priorities moved to a reorg.",
                "reengage_on": today + timedelta(days=90),
            },
        }
        if outcome != "open":
            plan_item_update(
                user=rep,
                item=third,
                version=third.version,
                values=closing[outcome],  # type: ignore[arg-type]
            )

        action_create(
            user=rep,
            plan=plan,
            values={
                "title": "Book the value review with the sponsor",
                "owner": rep,
                "due_on": today - timedelta(days=3 + index),
                "strategy": strategies[0],
            },
        )
        action_create(
            user=rep,
            plan=plan,
            values={
                "title": "Send the pilot summary",
                "owner": rep,
                "due_on": today + timedelta(days=10),
                "pursuit": first,
                "stakeholder": people[0] if people else None,
            },
        )
        if index % 2 == 0:
            kind, title, impact = FORCES[index % len(FORCES)]
            external_force_create(
                user=rep,
                plan=plan,
                values={
                    "kind": kind,
                    "title": title,
                    "impact": impact,
                    "description": "Synthetic external force for the demo.",
                    "review_on": today + timedelta(days=45),
                    "strategies": [strategies[1]],
                    "pursuits": [pursuits[1]],
                },
            )
        if index % 5 == 2:
            plan_item_update(
                user=rep,
                item=strategies[2],
                version=strategies[2].version,
                values={"status": Strategy.Status.ACHIEVED},
            )
