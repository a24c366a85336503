"""Pages for people at an account, one person and coverage."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.history import change_list_for_target
from accounts.http import AuthenticatedHttpRequest
from accounts.selectors import account_can_edit, account_get_for_user
from config.api import etag_for
from config.bounds import query_id
from stakeholders.coverage import KIND_SHORT, KIND_TITLES
from stakeholders.models import Stakeholder
from stakeholders.selectors import (
    COVERAGE_KINDS,
    account_stakeholder_board,
    coverage_rollup_page_for_user,
    stakeholder_can_erase,
    stakeholder_erasers_text,
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
        "can_erase": stakeholder_can_erase(user=request.user, stakeholder=person),
        "erasers": stakeholder_erasers_text(stakeholder=person),
        # The version the leaving and erasure forms were shown at.
        "version": etag_for(instance=person),
        "upload_keep_days": settings.LODE_UPLOAD_KEEP_DAYS,
    }

    return render(request, "stakeholders/detail.html", context)


def _editable_person(
    request: AuthenticatedHttpRequest, pk: int, *, erase: bool = False
) -> Stakeholder:
    person = stakeholder_get_for_user(user=request.user, pk=pk)
    if not account_can_edit(user=request.user, account=person.account):
        raise PermissionDenied("You may read this account but not change it.")
    if erase and not stakeholder_can_erase(user=request.user, stakeholder=person):
        raise PermissionDenied(stakeholder_erasers_text(stakeholder=person))
    return person


def _person_at_version(
    request: AuthenticatedHttpRequest, pk: int, *, erase: bool = False
) -> Stakeholder | None:
    """Return the person locked, or None (said) if the page was out of date.

    The lock holds until the caller's transaction ends, so no change can
    land between the check and the action.
    """
    found = _editable_person(request, pk, erase=erase)
    person = Stakeholder.objects.select_for_update().get(pk=found.pk)
    sent = request.POST.get("version", "")
    if sent == etag_for(instance=person):
        return person
    if not sent:
        messages.error(
            request,
            "The form was sent without the page's version, so nothing was "
            "done; reload the page and try again.",
        )
        return None

    latest = change_list_for_target(target=person).first()
    by = f" by {latest.changed_by_label}" if latest and latest.changed_by_label else ""
    when = timezone.localtime(person.updated_at)
    messages.error(
        request,
        f"{person.name} was changed since you opened this page: now "
        f"{person.get_status_display().lower()}, last changed "
        f"{date_format(when, 'j M Y H:i')}{by}. Nothing was done; check the "
        "page as it is now and try again if it is still needed.",
    )
    return None


@login_required
@require_POST
@transaction.atomic
def leave(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person_at_version(request, pk)
    if person is None:
        return redirect("stakeholders:detail", pk=pk)

    try:
        stakeholder_mark_left(user=request.user, stakeholder=person)
    except StakeholderError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.name} is marked as gone.")

    return redirect("stakeholders:detail", pk=person.pk)


@login_required
@require_POST
@transaction.atomic
def rejoin(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person_at_version(request, pk)
    if person is None:
        return redirect("stakeholders:detail", pk=pk)

    try:
        stakeholder_mark_back(user=request.user, stakeholder=person)
    except StakeholderError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.name} is back at the account.")

    return redirect("stakeholders:detail", pk=person.pk)


@login_required
@require_POST
@transaction.atomic
def erase(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person_at_version(request, pk, erase=True)
    if person is None:
        return redirect("stakeholders:detail", pk=pk)
    if request.POST.get("confirm") != "on":
        messages.error(request, "Tick the box to confirm the erasure request.")
        return redirect("stakeholders:detail", pk=person.pk)

    stakeholder_erase(user=request.user, stakeholder=person, request=request)

    messages.success(request, "The person's personal data was erased.")
    return redirect("stakeholders:account", pk=person.account_id)


@login_required
def coverage(request: AuthenticatedHttpRequest) -> HttpResponse:
    rollup = coverage_rollup_page_for_user(
        user=request.user,
        page=request.GET.get("page") or 1,
        after=query_id(request.GET, "after"),
        before=query_id(request.GET, "before"),
    )

    kinds = [(kind, KIND_SHORT[kind], KIND_TITLES[kind]) for kind in COVERAGE_KINDS]
    return render(
        request,
        "stakeholders/coverage.html",
        {
            "kinds": kinds,
            "rollup": rollup,
            "page": rollup.page,
        },
    )


@login_required
def import_people(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send the old people import address to the import wizard."""
    return redirect("accounts:wizard", permanent=True)
