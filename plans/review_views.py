"""Pages for the value scorecard, executive review, snapshots and customer links.

Kept apart from plans/views.py so the manager dashboard and the review can
change side by side; plans/urls.py mounts both under the plans namespace.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Account, AuditEvent
from accounts.selectors import account_can_edit, account_get_for_user
from config.api import etag_for
from config.security import audit_record
from plans.calendar import (
    FiscalQuarter,
    fiscal_quarter_current,
    fiscal_quarter_parse,
    fiscal_quarters_ending_with,
)
from plans.errors import PlanError
from plans.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, table_csv, tables_xlsx
from plans.models import (
    Checkpoint,
    CustomerLink,
    PlanSnapshot,
    ValueMeasure,
    VoiceOfCustomer,
)
from plans.review_forms import (
    ConfirmForm,
    CustomerLinkForm,
    MeasureQuarterForm,
    RatingForm,
    ReviewForm,
    StaffRatingForm,
    ValueMeasureEditForm,
    ValueMeasureForm,
    VersionForm,
    VoiceEditForm,
    VoiceForm,
    form_error_text,
)
from plans.review_selectors import (
    customer_link_list,
    executive_review_pack,
    plan_snapshot_list,
    scorecard_for_account,
)
from plans.review_services import (
    MEASURE_FIELDS,
    customer_checkpoint_confirm,
    customer_link_create,
    customer_link_opened,
    customer_link_resolve,
    customer_link_revoke,
    customer_rating_by_link,
    customer_rating_record,
    executive_review_save,
    measure_quarter_set,
    plan_snapshot_take,
    value_measure_create,
    value_measure_delete,
    value_measure_update,
    voice_create,
    voice_delete,
    voice_update,
)
from plans.selectors import plan_get_for_user
from plans.snapshots import snapshot_capture, snapshot_diff, snapshot_diff_grouped
from stakeholders.models import Stakeholder

logger = logging.getLogger(__name__)


def _quarter(slug: str) -> FiscalQuarter:
    try:
        quarter = fiscal_quarter_parse(slug)
    except ValueError as error:
        raise Http404("No such quarter.") from error
    # The next quarter's review may be prepared; later ones have nothing in
    # them yet, and a typo of a year would otherwise open an empty page.
    if quarter.start > fiscal_quarter_current().next.start:
        raise Http404("No such quarter.")
    return quarter


def _form_errors(form: Any) -> str:
    return form_error_text(form)


# Scorecard


@never_cache
@login_required
def scorecard_view(request: AuthenticatedHttpRequest, account_pk: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    return _scorecard_page(request, account)


def _link_form(account: Account, data: Any = None) -> CustomerLinkForm:
    people = Stakeholder.objects.filter(
        account=account, status=Stakeholder.Status.ACTIVE
    )
    return CustomerLinkForm(
        data,
        checkpoint_choices=[
            (c.pk, _checkpoint_label(c)) for c in _link_checkpoints(account)
        ],
        stakeholder_choices=[(person.pk, person.name) for person in people],
    )


def _scorecard_page(
    request: AuthenticatedHttpRequest,
    account: Account,
    *,
    link_form: CustomerLinkForm | None = None,
    refused: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the team's scorecard page; a refused form keeps what was typed.

    `refused` holds the bound form that failed, under the name the template
    reads it by, and for an edit panel the pk of the row it belongs to.
    """
    current = fiscal_quarter_current()
    quarters = fiscal_quarters_ending_with(current, 4)
    scorecard = scorecard_for_account(account=account, quarters=quarters)
    can_edit = account_can_edit(user=request.user, account=account)
    voices = list(account.voice_entries.select_related("stakeholder")[:30])
    # Each row carries the version it was shown at, so an edit or delete
    # made from a stale page is refused rather than overwriting.
    for item in [*voices, *(row.measure for row in scorecard.rows)]:
        item.etag = etag_for(instance=item)  # type: ignore[attr-defined]
    refused = refused or {}
    _attach_edit_forms(scorecard, voices, refused)
    return render(
        request,
        "plans/scorecard.html",
        {
            "account": account,
            "scorecard": scorecard,
            "chart": scorecard.chart_data(),
            "current": current,
            "can_edit": can_edit,
            "people": Stakeholder.objects.filter(
                account=account, status=Stakeholder.Status.ACTIVE
            ),
            "voices": voices,
            "links": customer_link_list(account=account) if can_edit else [],
            "link_checkpoints": _link_checkpoints(account) if can_edit else [],
            "measure_form": ValueMeasureForm(),
            "voice_form": VoiceForm(),
            "voice_kinds": VoiceForm.base_fields["kind"].choices,  # type: ignore[attr-defined]
            "directions": ValueMeasure.Direction.choices,
            "new_link": request.session.pop("customer_link_url", None),
            "link_form": link_form or _link_form(account),
            "rating_form": StaffRatingForm(),
            "quarter_form": MeasureQuarterForm(),
            **refused,
        },
        status=status,
    )


def _attach_edit_forms(
    scorecard: Any, voices: list[VoiceOfCustomer], refused: dict[str, Any]
) -> None:
    """Give each edit panel its form: as stored, or as typed if it was refused."""
    failed = refused.get("edit_form")
    for row in scorecard.rows:
        measure = row.measure
        if failed is not None and refused.get("edit_measure_pk") == measure.pk:
            measure.edit_form = failed
            continue
        measure.edit_form = ValueMeasureEditForm(
            initial={
                "version": measure.etag,
                **{name: getattr(measure, name) for name in MEASURE_FIELDS},
            }
        )
    for voice in voices:
        if failed is not None and refused.get("edit_voice_pk") == voice.pk:
            voice.edit_form = failed  # type: ignore[attr-defined]
            continue
        voice.edit_form = VoiceEditForm(  # type: ignore[attr-defined]
            initial={
                "version": voice.etag,  # type: ignore[attr-defined]
                "kind": voice.kind,
                "body": voice.body,
                "score": voice.score,
                "score_max": voice.score_max,
                "stakeholder": voice.stakeholder_id,
                "speaker": voice.speaker,
                "said_on": voice.said_on,
            }
        )


def _checkpoint_label(checkpoint: Checkpoint) -> str:
    """Name a checkpoint so two pursuits sharing a name still differ."""
    stage = checkpoint.stage
    pursuit = stage.pursuit
    return (
        f"{checkpoint.description} ({pursuit.name} #{pursuit.pk}, "
        f"started {pursuit.created_at:%-d %b %Y}, stage {stage.name})"
    )


def _link_checkpoints(account: Account) -> list[Checkpoint]:
    return list(
        Checkpoint.objects.filter(
            stage__pursuit__plan__account=account, validated_at__isnull=True
        ).select_related("stage__pursuit")
    )


def _scorecard_redirect(account: Account) -> HttpResponse:
    return redirect("plans:scorecard", account_pk=account.pk)


def _refused(
    request: AuthenticatedHttpRequest,
    account: Account,
    form: Any,
    name: str,
    what: str,
    **extra: Any,
) -> HttpResponse:
    """Show the page again with the refused form as typed and its errors."""
    messages.error(request, f"{what[0].upper()}{what[1:]}: {_form_errors(form)}")
    return _scorecard_page(request, account, refused={name: form, **extra}, status=400)


@login_required
@require_POST
def scorecard_measure_create(
    request: AuthenticatedHttpRequest, account_pk: int
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    form = ValueMeasureForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, form, "measure_form", "measure not added")

    try:
        value_measure_create(
            user=request.user, account=account, values=form.cleaned_data
        )
    except PlanError as error:
        form.add_error(None, str(error))
        return _refused(request, account, form, "measure_form", "measure not added")
    return _scorecard_redirect(account)


@login_required
@require_POST
def scorecard_quarter_set(
    request: AuthenticatedHttpRequest, account_pk: int, quarter: str
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    fiscal = _quarter(quarter)
    form = MeasureQuarterForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, form, "quarter_form", "figures not saved")
    measure = get_object_or_404(
        ValueMeasure, pk=form.cleaned_data["measure"], account=account
    )

    try:
        measure_quarter_set(
            user=request.user,
            measure=measure,
            quarter=fiscal,
            target=form.cleaned_data["target"],
            actual=form.cleaned_data["actual"],
            note=form.cleaned_data["note"],
        )
    except PlanError as error:
        form.add_error(None, str(error))
        return _refused(request, account, form, "quarter_form", "figures not saved")
    return _scorecard_redirect(account)


@login_required
@require_POST
def scorecard_rating_record(
    request: AuthenticatedHttpRequest, account_pk: int, quarter: str
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    fiscal = _quarter(quarter)
    form = StaffRatingForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, form, "rating_form", "rating not saved")
    stakeholder = get_object_or_404(
        Stakeholder, pk=form.cleaned_data["stakeholder"], account=account
    )

    try:
        customer_rating_record(
            user=request.user,
            account=account,
            stakeholder=stakeholder,
            quarter=fiscal,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except PlanError as error:
        form.add_error(None, str(error))
        return _refused(request, account, form, "rating_form", "rating not saved")
    return _scorecard_redirect(account)


@login_required
@require_POST
def scorecard_voice_create(
    request: AuthenticatedHttpRequest, account_pk: int
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    form = VoiceForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, form, "voice_form", "entry not recorded")
    values = dict(form.cleaned_data)
    stakeholder_id = values.pop("stakeholder")
    values["stakeholder"] = (
        get_object_or_404(Stakeholder, pk=stakeholder_id, account=account)
        if stakeholder_id
        else None
    )

    try:
        voice_create(user=request.user, account=account, values=values)
    except PlanError as error:
        form.add_error(None, str(error))
        return _refused(request, account, form, "voice_form", "entry not recorded")
    return _scorecard_redirect(account)


STALE = "Someone changed this {what} since you opened the page; reload to see it."


def _stale(form: VersionForm, item: Any) -> bool:
    return form.cleaned_data["version"] != etag_for(instance=item)


@login_required
@require_POST
def scorecard_measure_update(
    request: AuthenticatedHttpRequest, account_pk: int, pk: int
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    measure = get_object_or_404(ValueMeasure, pk=pk, account=account)
    form = ValueMeasureEditForm(request.POST)
    what = f"{measure.name} not saved"
    if not form.is_valid():
        return _refused(
            request, account, form, "edit_form", what, edit_measure_pk=measure.pk
        )
    if _stale(form, measure):
        messages.error(request, STALE.format(what="measure"))
        return _scorecard_redirect(account)
    values = {k: v for k, v in form.cleaned_data.items() if k != "version"}

    try:
        saved = value_measure_update(
            user=request.user,
            measure=measure,
            values=values,
            expected_version=measure.updated_at,
        )
    except PlanError as error:
        form.add_error(None, str(error))
        return _refused(
            request, account, form, "edit_form", what, edit_measure_pk=measure.pk
        )
    if saved:
        messages.success(request, f"Measure {measure.name} saved.")
    else:
        messages.error(request, STALE.format(what="measure"))
    return _scorecard_redirect(account)


@login_required
@require_POST
def scorecard_measure_delete(
    request: AuthenticatedHttpRequest, account_pk: int, pk: int
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    measure = get_object_or_404(ValueMeasure, pk=pk, account=account)
    return _scorecard_delete(
        request,
        account,
        measure,
        what="measure",
        done=f"Measure {measure.name} deleted.",
        delete=lambda version: value_measure_delete(
            user=request.user, measure=measure, expected_version=version
        ),
    )


def _scorecard_delete(
    request: HttpRequest,
    account: Account,
    row: ValueMeasure | VoiceOfCustomer,
    *,
    what: str,
    done: str,
    delete: Callable[[object], bool],
) -> HttpResponse:
    """Delete a scorecard row if the form's version is still the stored one."""
    form = VersionForm(request.POST)
    if not form.is_valid() or _stale(form, row):
        messages.error(request, STALE.format(what=what))
        return _scorecard_redirect(account)

    try:
        deleted = delete(row.updated_at)
    except PlanError as error:
        messages.error(request, str(error))
        return _scorecard_redirect(account)
    if deleted:
        messages.success(request, done)
    else:
        messages.error(request, STALE.format(what=what))
    return _scorecard_redirect(account)


@login_required
@require_POST
def scorecard_voice_update(
    request: AuthenticatedHttpRequest, account_pk: int, pk: int
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    entry = get_object_or_404(VoiceOfCustomer, pk=pk, account=account)
    form = VoiceEditForm(request.POST)
    what = f"entry from {entry.who} not saved"
    if not form.is_valid():
        return _refused(
            request, account, form, "edit_form", what, edit_voice_pk=entry.pk
        )
    if _stale(form, entry):
        messages.error(request, STALE.format(what="entry"))
        return _scorecard_redirect(account)
    values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    stakeholder_id = values.pop("stakeholder")
    values["stakeholder"] = (
        get_object_or_404(Stakeholder, pk=stakeholder_id, account=account)
        if stakeholder_id
        else None
    )

    try:
        saved = voice_update(
            user=request.user,
            entry=entry,
            values=values,
            expected_version=entry.updated_at,
        )
    except PlanError as error:
        form.add_error(None, str(error))
        return _refused(
            request, account, form, "edit_form", what, edit_voice_pk=entry.pk
        )
    if saved:
        messages.success(request, "Entry saved.")
    else:
        messages.error(request, STALE.format(what="entry"))
    return _scorecard_redirect(account)


@login_required
@require_POST
def scorecard_voice_delete(
    request: AuthenticatedHttpRequest, account_pk: int, pk: int
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    entry = get_object_or_404(VoiceOfCustomer, pk=pk, account=account)
    return _scorecard_delete(
        request,
        account,
        entry,
        what="entry",
        done="Entry deleted.",
        delete=lambda version: voice_delete(
            user=request.user, entry=entry, expected_version=version
        ),
    )


# Executive review


@login_required
def review_current(request: AuthenticatedHttpRequest, account_pk: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    quarter = fiscal_quarter_current()
    return redirect("plans:review", account_pk=account.pk, quarter=quarter.slug)


@never_cache
@login_required
def review_view(
    request: AuthenticatedHttpRequest, account_pk: int, quarter: str
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    fiscal = _quarter(quarter)
    pack = executive_review_pack(account=account, quarter=fiscal, user=request.user)

    # A refused form is shown again as typed, as the scorecard's forms are;
    # its version stays the one it was read at, so a stale save stays refused.
    # Its error shows inside the form, beside what to fix, not at the top
    # of a long page.
    refused = None
    refused_error = ""
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if not form.is_valid():
            refused_error = _form_errors(form)
            refused = form
        else:
            values = dict(form.cleaned_data)
            version = values.pop("version")
            try:
                executive_review_save(
                    user=request.user,
                    account=account,
                    quarter=fiscal,
                    values=values,
                    version=version,
                )
            except PlanError as error:
                refused_error = str(error)
                refused = form
            else:
                messages.success(request, "Decisions and next steps saved.")
                return redirect(
                    "plans:review", account_pk=account.pk, quarter=fiscal.slug
                )

    review = pack["review"]
    pack["review_error"] = refused_error
    pack["form"] = refused or ReviewForm(
        initial={
            "version": review.version if review else None,
            "held_on": review.held_on if review else None,
            "attendees": review.attendees if review else "",
            "decisions": review.decisions if review else "",
            "next_steps": review.next_steps if review else "",
        }
    )
    # A later quarter has no review yet; only link up to the current one.
    following = fiscal.next
    pack["next_quarter"] = (
        following if following.start <= fiscal_quarter_current().start else None
    )
    pack["chart"] = {
        **pack["scorecard"].chart_data(),
        "path": pack["path"],
        "thresholds": pack["thresholds"],
    }
    return render(
        request, "plans/review.html", pack, status=400 if refused is not None else 200
    )


def _export_unavailable(what: str, error: ImportError) -> HttpResponse:
    logger.exception("The %s export cannot run", what)
    return HttpResponse(
        f"The {what} export needs the Python package {error.name}, which is not "
        "installed. Install the pinned dependencies with "
        "`.venv/bin/pip install -r requirements.lock`.",
        status=503,
        content_type="text/plain; charset=utf-8",
    )


@login_required
def review_export(
    request: AuthenticatedHttpRequest, account_pk: int, quarter: str, file_format: str
) -> HttpResponse:
    """Return the review as PDF or PowerPoint, or its scorecard as CSV/XLSX."""
    from plans import review_exports

    account = account_get_for_user(user=request.user, pk=account_pk)
    fiscal = _quarter(quarter)
    pack = executive_review_pack(account=account, quarter=fiscal, user=request.user)

    try:
        if file_format == "pdf":
            body = review_exports.review_pdf(pack)
            content_type = review_exports.PDF_CONTENT_TYPE
        elif file_format == "pptx":
            body = review_exports.review_pptx(pack)
            content_type = review_exports.PPTX_CONTENT_TYPE
        elif file_format == "csv":
            body = table_csv(table=review_exports.scorecard_tables(pack)[0])
            content_type = CSV_CONTENT_TYPE
        elif file_format == "xlsx":
            body = tables_xlsx(tables=review_exports.scorecard_tables(pack))
            content_type = XLSX_CONTENT_TYPE
        else:
            raise Http404("No such export format.")
    except ImportError as error:
        return _export_unavailable(file_format.upper(), error)

    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        target=account,
        request=request,
        detail={"what": "review", "format": file_format, "quarter": quarter},
    )
    response = HttpResponse(body, content_type=content_type)
    filename = review_exports.export_filename(pack, file_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Snapshots


@login_required
def snapshot_list_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = plan_get_for_user(user=request.user, pk=pk)
    snapshots = list(plan_snapshot_list(plan=plan))
    return render(
        request,
        "plans/snapshot_list.html",
        {
            "plan": plan,
            "snapshots": snapshots,
            "can_edit": account_can_edit(user=request.user, account=plan.account),
        },
    )


@login_required
@require_POST
def snapshot_take_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = plan_get_for_user(user=request.user, pk=pk)
    try:
        plan_snapshot_take(
            plan=plan, user=request.user, label=request.POST.get("label", "")[:200]
        )
        messages.success(request, "Snapshot taken.")
    except PlanError as error:
        messages.error(request, str(error))
    return redirect("plans:snapshots", pk=plan.pk)


@login_required
def snapshot_compare_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Compare two snapshots, or a snapshot with the plan as it is now."""
    plan = plan_get_for_user(user=request.user, pk=pk)
    snapshots = {snapshot.pk: snapshot for snapshot in plan_snapshot_list(plan=plan)}

    def pick(name: str) -> PlanSnapshot | None:
        raw = request.GET.get(name, "now")
        if raw == "now":
            return None
        try:
            return snapshots[int(raw)]
        except (KeyError, ValueError) as error:
            raise Http404("No such snapshot of this plan.") from error

    before, after = pick("from"), pick("to")
    if before is None:
        raise Http404("Choose the snapshot to compare from.")
    after_data = after.data if after else snapshot_capture(plan=plan)
    changes = snapshot_diff(before.data, after_data)
    return render(
        request,
        "plans/snapshot_compare.html",
        {
            "plan": plan,
            "before": before,
            "after": after,
            "snapshots": list(snapshots.values()),
            "groups": snapshot_diff_grouped(changes),
            "count": len(changes),
        },
    )


# Customer links, as the account team manages them


@login_required
@require_POST
def customer_link_create_view(
    request: AuthenticatedHttpRequest, account_pk: int
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    if not account_can_edit(user=request.user, account=account):
        messages.error(
            request, "You can read this account's reviews but not change them."
        )
        return _scorecard_redirect(account)
    form = _link_form(account, request.POST)
    if not form.is_valid():
        # Said on the form itself, next to what was typed.
        return _scorecard_page(request, account, link_form=form, status=400)
    stakeholder = Stakeholder.objects.get(
        pk=form.cleaned_data["stakeholder"], account=account
    )

    try:
        _link, token = customer_link_create(
            user=request.user,
            account=account,
            stakeholder=stakeholder,
            checkpoints=Checkpoint.objects.filter(
                pk__in=form.cleaned_data["checkpoints"]
            ).select_related("stage__pursuit__plan"),
            days=form.cleaned_data["days"],
        )
    except PlanError as error:
        form.add_error(None, str(error))
        return _scorecard_page(request, account, link_form=form, status=400)

    # Shown once, on the next page: only a hash of the secret is kept.
    request.session["customer_link_url"] = request.build_absolute_uri(
        reverse("plans:customer", args=[token])
    )
    return _scorecard_redirect(account)


@login_required
@require_POST
def customer_link_revoke_view(
    request: AuthenticatedHttpRequest, account_pk: int, link_pk: int
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    link = get_object_or_404(CustomerLink, pk=link_pk, account=account)
    try:
        customer_link_revoke(user=request.user, link=link)
        messages.success(request, f"The link for {link.stakeholder} no longer works.")
    except PlanError as error:
        messages.error(request, str(error))
    return _scorecard_redirect(account)


# The customer's own pages: no login, only the token.


def _customer_link(token: str) -> CustomerLink:
    link = customer_link_resolve(token=token)
    if link is None:
        raise Http404("This link is not valid any more.")
    return link


@never_cache
def customer_view(request: HttpRequest, token: str) -> HttpResponse:
    link = _customer_link(token)
    customer_link_opened(link=link)
    return _customer_page(request, link, token)


def _customer_page(
    request: HttpRequest,
    link: CustomerLink,
    token: str,
    *,
    rating_form: RatingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the customer's page; a refused rating keeps its errors."""
    current = fiscal_quarter_current()
    quarters = fiscal_quarters_ending_with(current, 4)
    scorecard = scorecard_for_account(account=link.account, quarters=quarters)
    own = next(
        (
            rating
            for rating in scorecard.ratings
            if rating.stakeholder_id == link.stakeholder_id
            and rating.quarter_start == current.start
            and rating.by_customer
        ),
        None,
    )
    return render(
        request,
        "plans/customer_scorecard.html",
        {
            "link": link,
            "token": token,
            "account": link.account,
            "scorecard": scorecard,
            "chart": scorecard.chart_data(),
            "current": current,
            "own_rating": own,
            "rating_form": rating_form
            or RatingForm(
                initial={"score": own.score, "comment": own.comment} if own else None
            ),
            "checkpoints": link.checkpoints.select_related("stage__pursuit"),
        },
        status=status,
    )


@require_POST
def customer_rate_view(request: HttpRequest, token: str) -> HttpResponse:
    link = _customer_link(token)
    form = RatingForm(request.POST)
    if not form.is_valid():
        response = _customer_page(request, link, token, rating_form=form, status=400)
        add_never_cache_headers(response)
        return response

    customer_rating_by_link(
        link=link,
        quarter=fiscal_quarter_current(),
        score=form.cleaned_data["score"],
        comment=form.cleaned_data["comment"],
    )
    messages.success(request, "Thank you: your rating is saved.")
    return redirect("plans:customer", token=token)


@require_POST
def customer_confirm_view(
    request: HttpRequest, token: str, checkpoint_pk: int
) -> HttpResponse:
    link = _customer_link(token)
    form = ConfirmForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        customer_checkpoint_confirm(link=link, checkpoint_id=checkpoint_pk, note=note)
    except PlanError as error:
        raise Http404(str(error)) from error
    messages.success(request, "Thank you: confirmed.")
    return redirect("plans:customer", token=token)
