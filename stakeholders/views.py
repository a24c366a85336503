"""Pages for people at an account, one person and coverage."""

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.selectors import account_can_edit, account_get_for_user
from stakeholders.coverage import KIND_SHORT, KIND_TITLES
from stakeholders.models import Stakeholder
from stakeholders.selectors import (
    account_stakeholder_board,
    coverage_rollup_for_user,
    stakeholder_get_for_user,
    stakeholder_history,
)
from stakeholders.services import (
    StakeholderError,
    stakeholder_erase,
    stakeholder_mark_back,
    stakeholder_mark_left,
)


@never_cache
@login_required
def account_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=pk)

    board = account_stakeholder_board(user=request.user, account=account)

    return render(request, "stakeholders/account.html", board)


@login_required
def account_board(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Render the section body alone, for the page script to swap in."""
    account = account_get_for_user(user=request.user, pk=pk)

    board = account_stakeholder_board(user=request.user, account=account)

    return render(request, "stakeholders/_board.html", board)


@login_required
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = stakeholder_get_for_user(user=request.user, pk=pk)

    context = {
        "person": person,
        "history": stakeholder_history(stakeholder=person),
        "activities": person.activities.select_related("user")[:50],
        "can_edit": account_can_edit(user=request.user, account=person.account),
    }

    return render(request, "stakeholders/detail.html", context)


def _editable_person(request: AuthenticatedHttpRequest, pk: int) -> Stakeholder:
    person = stakeholder_get_for_user(user=request.user, pk=pk)
    if not account_can_edit(user=request.user, account=person.account):
        raise PermissionDenied("You may read this account but not change it.")
    return person


@login_required
@require_POST
def leave(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _editable_person(request, pk)

    try:
        stakeholder_mark_left(user=request.user, stakeholder=person)
    except StakeholderError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.name} is marked as gone.")

    return redirect("stakeholders:detail", pk=person.pk)


@login_required
@require_POST
def rejoin(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _editable_person(request, pk)

    try:
        stakeholder_mark_back(user=request.user, stakeholder=person)
    except StakeholderError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.name} is back at the account.")

    return redirect("stakeholders:detail", pk=person.pk)


@login_required
@require_POST
def erase(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _editable_person(request, pk)
    if request.POST.get("confirm") != "on":
        messages.error(request, "Tick the box to confirm the erasure request.")
        return redirect("stakeholders:detail", pk=person.pk)

    stakeholder_erase(user=request.user, stakeholder=person, request=request)

    messages.success(request, "The person's personal data was erased.")
    return redirect("stakeholders:account", pk=person.account_id)


@login_required
def coverage(request: AuthenticatedHttpRequest) -> HttpResponse:
    rollup = coverage_rollup_for_user(user=request.user)

    kinds = [(kind, KIND_SHORT[kind], title) for kind, title in KIND_TITLES.items()]
    rows = []
    totals = Counter[str]()
    for item in rollup:
        counts = Counter(finding.kind for finding in item.findings)
        totals.update(counts)
        rows.append(
            {
                "account": item.account,
                "people": item.people,
                "counts": [counts[kind] for kind, _, _ in kinds],
            }
        )

    return render(
        request,
        "stakeholders/coverage.html",
        {
            "kinds": kinds,
            "rows": rows,
            "totals": [totals[kind] for kind, _, _ in kinds],
            "total_people": sum(item.people for item in rollup),
        },
    )


@login_required
def import_people(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send the old people import address to the import wizard."""
    return redirect("accounts:wizard", permanent=True)
