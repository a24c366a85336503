"""The plan section of the account page."""

from typing import Any

from accounts.models import Account, User
from accounts.selectors import account_can_edit
from plans.models import Action, Pursuit
from plans.selectors import plan_current_for_account, pursuit_outcome_totals


def plan_section_context(*, user: User, account: Account) -> dict[str, Any]:
    """Return the current plan's headline figures in four queries at most."""
    plan = plan_current_for_account(account=account)
    context: dict[str, Any] = {
        "account": account,
        "plan": plan,
        "can_edit": account_can_edit(user=user, account=account),
    }
    if plan is None:
        return context
    pursuits = list(Pursuit.objects.filter(plan=plan).only("outcome", "amount"))
    context["outcomes"] = pursuit_outcome_totals(pursuits=pursuits)
    context["overdue"] = [
        action
        for action in Action.objects.filter(plan=plan, due_on__isnull=False)
        if action.overdue
    ]
    return context
