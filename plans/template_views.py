"""Pages where sales ops keep the sell-cycle templates (#7, formerly admin).

Everyone logged in reads them: reps and managers copy them into their
accounts, so they need to see the stages and checkpoints. Only sales ops
change them; anyone else's write is refused with 403.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from plans.errors import PlanError, VersionConflict
from plans.models import SellCycleTemplate, TemplateCheckpoint, TemplateStage
from plans.template_forms import (
    CheckpointForm,
    RevisionForm,
    StageForm,
    TemplateEditForm,
    TemplateForm,
)
from plans.template_services import (
    STAGE_FIELDS,
    TEMPLATE_FIELDS,
    sell_cycle_template_create,
    sell_cycle_template_update,
    template_checkpoint_create,
    template_checkpoint_delete,
    template_stage_create,
    template_stage_delete,
    template_stage_update,
)


def _ops(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    if not user.is_ops:
        raise PermissionDenied("Only sales ops change sell-cycle templates.")
    return user


def _form_errors(form: Any) -> str:
    return "; ".join(
        f"{name.replace('_', ' ')}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    )


def _detail(template: SellCycleTemplate) -> HttpResponse:
    return redirect("plans:template_detail", pk=template.pk)


@never_cache
@login_required
def template_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _template_create(request, _ops(request))

    draft = _draft_for(request, None)
    templates = SellCycleTemplate.objects.prefetch_related("stages")
    context = {
        "templates": templates,
        "values": draft["values"] if draft else {"is_active": True},
        "errors": draft["errors"] if draft else [],
        "draft": draft["token"] if draft else "",
        "can_edit": request.user.is_ops,
    }
    return render(
        request, "plans/template_list.html", context, status=400 if draft else 200
    )


def _template_create(request: AuthenticatedHttpRequest, user: User) -> HttpResponse:
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            template = sell_cycle_template_create(user=user, values=form.cleaned_data)
        except PlanError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Template {template.name} created.")
            _draft_drop(request)
            return _detail(template)

    errors = [str(error) for error in form.non_field_errors()] + [
        f"{form[name].label}: {error}"
        for name, field_errors in form.errors.items()
        if name != NON_FIELD_ERRORS
        for error in field_errors
    ]
    values = {
        "name": form.data.get("name", ""),
        "description": form.data.get("description", ""),
        "is_active": bool(form.data.get("is_active")),
    }
    token = _draft_store(
        request,
        {"template": None, "key": "new-template", "values": values, "errors": errors},
    )
    return redirect(f"{reverse('plans:template_list')}?draft={token}")


@dataclass
class _Kept:
    """A refused form's input, shown again rather than lost."""

    values: dict[str, Any]
    message: str
    conflict: bool
    # The draft it is kept in, sent back with the form so a save forgets it.
    token: str
    # Each field whose input differs from the stored value: its label, the
    # stored value and the input.
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)


# A refused form is kept in the session and shown by a GET of the template
# page (POST, redirect, GET), so Back and reload never post it again. The
# page URL names the draft; the newest few are kept per session.
_DRAFTS = "sell_cycle_template_drafts"
_DRAFTS_KEPT = 10


def _draft_keep(
    request: AuthenticatedHttpRequest,
    template: SellCycleTemplate,
    *,
    key: str,
    form: forms.Form,
    error: PlanError,
) -> str:
    values = {
        name: value for name, value in form.cleaned_data.items() if name != "revision"
    }
    draft = {
        "template": template.pk,
        "key": key,
        "values": values,
        "labels": {name: str(form[name].label) for name in values},
        "message": str(error),
        "conflict": isinstance(error, VersionConflict),
    }
    return _draft_store(request, draft)


def _draft_store(request: AuthenticatedHttpRequest, draft: dict[str, Any]) -> str:
    token = secrets.token_urlsafe(8)
    drafts = {**request.session.get(_DRAFTS, {}), token: draft}
    request.session[_DRAFTS] = dict(list(drafts.items())[-_DRAFTS_KEPT:])
    return token


def _draft_drop(request: AuthenticatedHttpRequest) -> None:
    """Forget the draft a form came from, now that it is saved."""
    drafts = request.session.get(_DRAFTS, {})
    if request.POST.get("draft") in drafts:
        del drafts[request.POST["draft"]]
        request.session.modified = True


def _draft_for(
    request: AuthenticatedHttpRequest, template: SellCycleTemplate | None
) -> dict[str, Any] | None:
    """Return the draft the page URL names, if it is this page's."""
    token = request.GET.get("draft", "")
    draft = request.session.get(_DRAFTS, {}).get(token)
    if draft is None or draft["template"] != (template.pk if template else None):
        return None
    return {**draft, "token": token}


def _form(
    key: str,
    stored: Mapping[str, Any],
    draft: dict[str, Any] | None,
    *,
    compare: bool = False,
) -> dict[str, Any]:
    """Return one form's values: as refused when it was, else as stored.

    A conflict on an edit says, field by field, what is stored now and
    what was typed; that is worked out on each GET, so a reload shows what
    is stored at that moment.
    """
    if draft is None or draft["key"] != key:
        return {"values": stored, "kept": None}

    values = draft["values"]
    kept = _Kept(
        values=values,
        message=draft["message"],
        conflict=draft["conflict"],
        token=draft["token"],
    )
    if kept.conflict and compare:
        kept.changes = [
            (draft["labels"][name], stored[name], value)
            for name, value in values.items()
            if stored[name] != value
        ]
    return {"values": values, "kept": kept}


def _page(
    request: AuthenticatedHttpRequest,
    template: SellCycleTemplate,
    *,
    draft: dict[str, Any] | None = None,
) -> HttpResponse:
    stages = [
        {
            "stage": stage,
            "edit": _form(
                f"stage-{stage.pk}",
                {name: getattr(stage, name) for name in STAGE_FIELDS},
                draft,
                compare=True,
            ),
            "checkpoint": _form(
                f"checkpoint-{stage.pk}",
                {"description": "", "required": True},
                draft,
            ),
        }
        for stage in template.stages.prefetch_related("checkpoints")
    ]
    context = {
        "template": template,
        "header": _form(
            "template",
            {name: getattr(template, name) for name in TEMPLATE_FIELDS},
            draft,
            compare=True,
        ),
        "stages": stages,
        "new_stage": _form("new-stage", dict.fromkeys(STAGE_FIELDS, ""), draft),
        "can_edit": request.user.is_ops,
    }
    status = 200
    if draft is not None:
        status = 409 if draft["conflict"] else 400
    return render(request, "plans/template_detail.html", context, status=status)


def _sent_back(
    request: AuthenticatedHttpRequest,
    template: SellCycleTemplate,
    *,
    key: str,
    form: forms.Form,
    error: PlanError,
) -> HttpResponse:
    """Send the browser to the page as it is now, with the refused form.

    On a conflict the form carries the current revision, so saving it again
    applies the input over the other change; beside it each field says what
    is stored now and what was typed.
    """
    token = _draft_keep(request, template, key=key, form=form, error=error)
    url = reverse("plans:template_detail", kwargs={"pk": template.pk})
    return redirect(f"{url}?draft={token}")


def _saved(
    request: AuthenticatedHttpRequest, template: SellCycleTemplate
) -> HttpResponse:
    _draft_drop(request)
    return _detail(template)


@never_cache
@login_required
def template_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(SellCycleTemplate, pk=pk)
    if request.method != "POST":
        return _page(request, template, draft=_draft_for(request, template))

    user = _ops(request)
    form = TemplateEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _detail(template)
    values = dict(form.cleaned_data)
    revision = values.pop("revision")

    try:
        sell_cycle_template_update(
            user=user, template=template, revision=revision, values=values
        )
    except PlanError as error:
        return _sent_back(request, template, key="template", form=form, error=error)
    messages.success(request, "Template saved.")
    return _saved(request, template)


@login_required
@require_POST
def template_stage_create_view(
    request: AuthenticatedHttpRequest, pk: int
) -> HttpResponse:
    user = _ops(request)
    template = get_object_or_404(SellCycleTemplate, pk=pk)
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _detail(template)
    values = dict(form.cleaned_data)
    revision = values.pop("revision")

    try:
        template_stage_create(
            user=user, template=template, revision=revision, values=values
        )
    except PlanError as error:
        return _sent_back(request, template, key="new-stage", form=form, error=error)
    return _saved(request, template)


@login_required
@require_POST
def template_stage_update_view(
    request: AuthenticatedHttpRequest, pk: int
) -> HttpResponse:
    user = _ops(request)
    stage = get_object_or_404(TemplateStage.objects.select_related("template"), pk=pk)
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _detail(stage.template)
    values = dict(form.cleaned_data)
    revision = values.pop("revision")

    try:
        template_stage_update(user=user, stage=stage, revision=revision, values=values)
    except PlanError as error:
        return _sent_back(
            request,
            stage.template,
            key=f"stage-{stage.pk}",
            form=form,
            error=error,
        )
    messages.success(request, f"Stage {stage.name} saved.")
    return _saved(request, stage.template)


@login_required
@require_POST
def template_stage_delete_view(
    request: AuthenticatedHttpRequest, pk: int
) -> HttpResponse:
    user = _ops(request)
    stage = get_object_or_404(TemplateStage.objects.select_related("template"), pk=pk)
    form = RevisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _detail(stage.template)

    try:
        template_stage_delete(
            user=user, stage=stage, revision=form.cleaned_data["revision"]
        )
        messages.success(request, f"Stage {stage.name} deleted.")
    except PlanError as error:
        messages.error(request, f"{error} Stage {stage.name} is not deleted.")
    return _detail(stage.template)


@login_required
@require_POST
def template_checkpoint_create_view(
    request: AuthenticatedHttpRequest, pk: int
) -> HttpResponse:
    user = _ops(request)
    stage = get_object_or_404(TemplateStage.objects.select_related("template"), pk=pk)
    form = CheckpointForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _detail(stage.template)

    try:
        template_checkpoint_create(user=user, stage=stage, **form.cleaned_data)
    except PlanError as error:
        return _sent_back(
            request,
            stage.template,
            key=f"checkpoint-{stage.pk}",
            form=form,
            error=error,
        )
    return _saved(request, stage.template)


@login_required
@require_POST
def template_checkpoint_delete_view(
    request: AuthenticatedHttpRequest, pk: int
) -> HttpResponse:
    user = _ops(request)
    checkpoint = get_object_or_404(
        TemplateCheckpoint.objects.select_related("stage__template"), pk=pk
    )
    form = RevisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _detail(checkpoint.stage.template)

    try:
        template_checkpoint_delete(
            user=user, checkpoint=checkpoint, revision=form.cleaned_data["revision"]
        )
    except PlanError as error:
        messages.error(request, f"{error} The checkpoint is not removed.")
    return _detail(checkpoint.stage.template)
