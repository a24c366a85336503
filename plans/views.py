"""Plan pages. Editing happens in place through the plan API."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import account_can_edit, account_get_for_user
from plans.editing import attach_editors
from plans.errors import PlanError
from plans.selectors import (
    plan_current_for_account,
    plan_detail,
    plan_get_for_user,
    plan_team_overview,
)
from plans.services import gate_can_override, plan_create


def _user(request: HttpRequest) -> User:
    """Return the signed-in user; login_required has refused everyone else."""
    return cast(User, request.user)


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    overview = plan_team_overview(user=_user(request))
    return render(request, "plans/plan_list.html", overview)


@login_required
def plan_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get_for_user(user=_user(request), pk=pk)
    detail = plan_detail(plan=plan, user=_user(request))
    attach_editors(detail)
    detail["can_override"] = gate_can_override(
        user=_user(request), account=plan.account
    )
    return render(request, "plans/plan_detail.html", detail)


@login_required
def plan_for_account(request: HttpRequest, account_pk: int) -> HttpResponse:
    """Open the account's current plan, or offer to start one."""
    account = account_get_for_user(user=_user(request), pk=account_pk)
    plan = plan_current_for_account(account=account)
    if plan is not None:
        return redirect("plans:detail", pk=plan.pk)
    return render(
        request,
        "plans/plan_start.html",
        {
            "account": account,
            "can_edit": account_can_edit(user=_user(request), account=account),
        },
    )


@login_required
@require_POST
def plan_create_view(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = account_get_for_user(user=_user(request), pk=account_pk)
    if not account_can_edit(user=_user(request), account=account):
        messages.error(request, "You can read this account but not plan it.")
        return redirect("plans:account", account_pk=account.pk)

    try:
        plan = plan_create(user=_user(request), account=account)
    except PlanError as error:
        messages.error(request, str(error))
        return redirect(reverse("plans:account", args=[account.pk]))
    return redirect("plans:detail", pk=plan.pk)
