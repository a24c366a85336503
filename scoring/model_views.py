"""The scoring model page: everyone reads the weights, sales ops edits them."""

import logging
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from scoring.api_services import EDITABLE_FIELDS, scoring_model_update
from scoring.computation import ScoringInputError, window_label
from scoring.forms import AXES, LABELS, ScoringModelForm, help_text_for
from scoring.models import ScoreRun, ScoringModel
from scoring.services import score_run_request, scoring_model_active

logger = logging.getLogger(__name__)

RUN_TRIGGER = "model_change"


def _axis_list(*, model: ScoringModel, form: ScoringModelForm | None) -> list[dict]:
    """Return each axis with its weights and each weight's share of the axis."""
    axes = []
    for key, title, names in AXES:
        total = sum((getattr(model, name) for name in names), Decimal(0))
        rows = []
        for name in names:
            weight = getattr(model, name)
            rows.append(
                {
                    "name": name,
                    "label": LABELS[name],
                    "help_text": help_text_for(name),
                    "weight": weight,
                    "share": weight / total * 100 if total else None,
                    "field": form[name] if form else None,
                }
            )
        axes.append({"key": key, "title": title, "rows": rows, "total": total})
    return axes


def _setting_list(*, model: ScoringModel, form: ScoringModelForm | None) -> list[dict]:
    """Return the thresholds, tier shares, peer group, currency and window."""
    return [
        {
            "name": name,
            "label": LABELS[name],
            "help_text": help_text_for(name),
            "value": _setting_text(name=name, value=getattr(model, name)),
            "field": form[name] if form else None,
        }
        for name in EDITABLE_FIELDS
        if not name.startswith("weight_")
    ]


def _setting_text(*, name: str, value: Any) -> Any:
    if name != "score_as_of":
        return value
    if value is None:
        return "Latest revenue quarter"
    return f"{value.day} {value:%b %Y} ({window_label(value)})"


def _render(
    request: HttpRequest,
    *,
    model: ScoringModel,
    form: ScoringModelForm | None,
    stored: ScoringModel | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "model": model,
        "form": form,
        "axes": _axis_list(model=model, form=form),
        "settings": _setting_list(model=model, form=form),
        "stored": stored,
        "window": _current_window(),
        "stored_values": (
            {name: getattr(stored, name) for name in EDITABLE_FIELDS} if stored else {}
        ),
    }
    return render(request, "scoring/model.html", context, status=status)


def _current_window() -> dict:
    """Return the window of the current run's scores (label, warning), or {}."""
    summary = (
        ScoreRun.objects.filter(is_current=True)
        .values_list("summary", flat=True)
        .first()
    )
    return dict((summary or {}).get("window") or {})


def _form_add_service_errors(form: ScoringModelForm, error: ValidationError) -> None:
    for name, field_errors in error.message_dict.items():
        form.add_error(name if name in form.fields else None, field_errors)


@login_required
@require_http_methods(["GET", "POST"])
def scoring_model_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    # Only sales ops may change the model; to anyone else the form does not
    # exist, so a forged POST is answered as a missing page.
    if request.method == "POST" and not user.is_ops:
        raise Http404("No scoring model form here.")

    model = scoring_model_active()
    if request.method == "GET":
        form = ScoringModelForm(model=model) if user.is_ops else None
        return _render(request, model=model, form=form)

    form = ScoringModelForm(request.POST, model=model)
    if not form.is_valid():
        return _render(request, model=model, form=form, status=400)

    changes = form.changes()
    if not changes:
        messages.info(request, "Nothing changed; the scoring model stays as it was.")
        return redirect("scoring:model")

    try:
        with transaction.atomic():
            saved = scoring_model_update(
                model=model,
                user=user,
                data=changes,
                expected_version=form.cleaned_data["version"],
            )
            run = score_run_request(trigger=RUN_TRIGGER, user=user) if saved else None
    except ValidationError as error:
        _form_add_service_errors(form, error)
        return _render(
            request, model=ScoringModel.objects.get(pk=model.pk), form=form, status=400
        )
    except ScoringInputError as error:
        # Without a broker the run executes when the change commits; the
        # change is saved and the run is recorded as failed.
        messages.error(
            request,
            f"The scoring model was saved, but the score run failed: {error}",
        )
        return redirect("scoring:model")

    if run is None:
        return _refuse_stale(request, form=form, model=model)

    messages.success(
        request,
        format_html(
            "Scoring model saved. Score run {} was requested; the "
            '<a href="{}">portfolio</a> shows the new scores when it finishes.',
            run.pk,
            reverse("scoring:portfolio"),
        ),
    )
    return redirect("scoring:model")


def _refuse_stale(
    request: HttpRequest, *, form: ScoringModelForm, model: ScoringModel
) -> HttpResponse:
    """Keep what the user typed, now against the version someone else saved."""
    stored = ScoringModel.objects.get(pk=model.pk)
    logger.info(
        "Scoring model %s edit by user %s refused: changed since it was read",
        model.pk,
        request.user.pk,
    )

    data = request.POST.copy()
    data["version"] = stored.updated_at.isoformat()
    form = ScoringModelForm(data, model=stored)
    form.is_valid()
    form.add_error(
        None,
        "Someone changed the scoring model after you opened it; nothing was "
        "saved. Your values are kept below, with the values now stored beside "
        "them. Save again to replace the stored values with yours.",
    )
    return _render(request, model=stored, form=form, stored=stored, status=409)
