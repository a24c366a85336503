"""Pages where sales ops keep the sell-cycle templates (#7, formerly admin).

Everyone logged in reads them: reps and managers copy them into their
accounts, so they need to see the stages and checkpoints. Only sales ops
change them; anyone else's write is refused with 403.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
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


@login_required
def template_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _ops(request) if request.method == "POST" else request.user
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = sell_cycle_template_create(user=user, values=form.cleaned_data)
        except PlanError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Template {template.name} created.")
            return _detail(template)
    templates = SellCycleTemplate.objects.prefetch_related("stages")
    return render(
        request,
        "plans/template_list.html",
        {"templates": templates, "form": form, "can_edit": request.user.is_ops},
        status=400 if form.errors else 200,
    )


@dataclass
class _Kept:
    """A refused form's input, shown again rather than lost."""

    values: dict[str, Any]
    message: str
    conflict: bool
    # Each field whose input differs from the stored value: its label, the
    # stored value and the input.
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)


def _form(
    key: str, stored: Mapping[str, Any], kept: dict[str, _Kept]
) -> dict[str, Any]:
    """Return one form's values: as refused when it was, else as stored."""
    sent = kept.get(key)
    return {"values": sent.values if sent else stored, "kept": sent}


def _page(
    request: AuthenticatedHttpRequest,
    template: SellCycleTemplate,
    *,
    kept: dict[str, _Kept] | None = None,
    status: int = 200,
) -> HttpResponse:
    kept = kept or {}
    stages = [
        {
            "stage": stage,
            "edit": _form(
                f"stage-{stage.pk}",
                {name: getattr(stage, name) for name in STAGE_FIELDS},
                kept,
            ),
            "checkpoint": _form(
                f"checkpoint-{stage.pk}",
                {"description": "", "required": True},
                kept,
            ),
        }
        for stage in template.stages.prefetch_related("checkpoints")
    ]
    context = {
        "template": template,
        "header": _form(
            "template",
            {name: getattr(template, name) for name in TEMPLATE_FIELDS},
            kept,
        ),
        "stages": stages,
        "new_stage": _form("new-stage", dict.fromkeys(STAGE_FIELDS, ""), kept),
        "can_edit": request.user.is_ops,
    }
    return render(request, "plans/template_detail.html", context, status=status)


def _sent_back(
    request: AuthenticatedHttpRequest,
    template: SellCycleTemplate,
    *,
    key: str,
    form: forms.Form,
    error: PlanError,
    stored: models.Model | None = None,
) -> HttpResponse:
    """Show the page as it is now, with the refused form as it was typed.

    On a conflict the form carries the current revision, so saving it again
    applies the input over the other change; beside it each field says what
    is stored now and what was typed.
    """
    template.refresh_from_db()
    values = {
        name: value for name, value in form.cleaned_data.items() if name != "revision"
    }
    conflict = isinstance(error, VersionConflict)
    kept = _Kept(values=values, message=str(error), conflict=conflict)
    if conflict and stored is not None:
        stored.refresh_from_db()
        kept.changes = [
            (str(form[name].label), getattr(stored, name), value)
            for name, value in values.items()
            if getattr(stored, name) != value
        ]

    return _page(request, template, kept={key: kept}, status=409 if conflict else 400)


@never_cache
@login_required
def template_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(SellCycleTemplate, pk=pk)
    if request.method != "POST":
        return _page(request, template)

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
        return _sent_back(
            request, template, key="template", form=form, error=error, stored=template
        )
    messages.success(request, "Template saved.")
    return _detail(template)


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
    return _detail(template)


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
            stored=stage,
        )
    messages.success(request, f"Stage {stage.name} saved.")
    return _detail(stage.template)


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
    return _detail(stage.template)


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
