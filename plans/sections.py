"""The plan section of the account page."""

from typing import Any

from accounts.currency import RateTable
from accounts.models import Account, User
from accounts.selectors import account_can_edit
from config.compiled_queries import queryset_rows
from plans.models import Action, Pursuit
from plans.selectors import (
    PursuitMoney,
    plan_current_for_account,
    pursuit_outcome_totals,
)


def plan_section_context(
    *, user: User, account: Account, rates: RateTable | None = None
) -> dict[str, Any]:
    """Return the current plan's headline figures in three queries at most,
    with the page's rates (read here when not given)."""
    plan = plan_current_for_account(account=account)
    context: dict[str, Any] = {
        "account": account,
        "plan": plan,
        "can_edit": account_can_edit(user=user, account=account),
    }
    if plan is None:
        return context
    # What the totals read: the amount, and the day it converts at.
    pursuits = queryset_rows(
        "plans.section_pursuits",
        lambda plan_id: Pursuit.objects.filter(plan_id=plan_id).only(
            "outcome",
            "amount",
            "currency",
            "closed_on",
            "expected_close_on",
            "created_at",
        ),
        plan_id=plan.pk,
    )
    context["outcomes"] = pursuit_outcome_totals(
        pursuits=pursuits, money=PursuitMoney.load(rates=rates)
    )
    context["overdue"] = [
        action
        for action in queryset_rows(
            "plans.section_dated_actions",
            lambda plan_id: Action.objects.filter(
                plan_id=plan_id, due_on__isnull=False
            ),
            plan_id=plan.pk,
        )
        if action.overdue
    ]
    return context
