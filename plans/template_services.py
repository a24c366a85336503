"""Writes for sell-cycle templates: sales ops keep the stages and checkpoints.

Every change bumps the template's revision, so a pursuit tells which
revision it copied, and a form sent from an older revision is refused
rather than undoing someone else's change.
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Max

from accounts.models import User
from plans.errors import (
    PlanError,
    VersionConflict,
    validation_field_errors,
    validation_message,
)
from plans.models import SellCycleTemplate, TemplateCheckpoint, TemplateStage

logger = logging.getLogger(__name__)

TEMPLATE_FIELDS = ("name", "description", "is_active")
STAGE_FIELDS = ("name", "our_activities", "exit_criteria", "buyer_step")


def _require_ops(user: User) -> None:
    if not user.is_ops:
        raise PlanError("Only sales ops change sell-cycle templates.")


def _clean(item: models.Model, exclude: list[str] | None = None) -> None:
    try:
        item.full_clean(exclude=exclude)
    except ValidationError as error:
        problems = error.message_dict
        # One field's refusal is named by it, so the API answers under it.
        (only, texts), *_ = problems.items()
        single = len(problems) == 1 and only != "__all__"
        raise PlanError(
            validation_message(item, error),
            field=only if single else None,
            reason=" ".join(texts) if single else "",
            # Several fields: each is named with its own reasons.
            errors=None if single else validation_field_errors(error),
        ) from error


def _lock_at(template: SellCycleTemplate, revision: int) -> SellCycleTemplate:
    """Lock the template row and refuse a change made from an older revision."""
    current = SellCycleTemplate.objects.select_for_update().get(pk=template.pk)
    if current.revision != revision:
        raise VersionConflict(
            f"{current.name} changed since you opened it (now revision "
            f"{current.revision}).",
            current=current,
        )
    return current


def _bump(template: SellCycleTemplate) -> None:
    SellCycleTemplate.objects.filter(pk=template.pk).update(revision=F("revision") + 1)
    template.refresh_from_db()


@transaction.atomic
def sell_cycle_template_create(
    *, user: User, values: Mapping[str, Any]
) -> SellCycleTemplate:
    _require_ops(user)
    template = SellCycleTemplate(**{name: values[name] for name in values})
    _clean(template)
    template.save()
    logger.info("template %s created by %s", template.pk, user.pk)
    return template


@transaction.atomic
def sell_cycle_template_update(
    *, user: User, template: SellCycleTemplate, revision: int, values: Mapping[str, Any]
) -> SellCycleTemplate:
    _require_ops(user)
    template = _lock_at(template, revision)
    for name in TEMPLATE_FIELDS:
        if name in values:
            setattr(template, name, values[name])
    _clean(template)
    template.save()
    _bump(template)
    return template


@transaction.atomic
def template_stage_create(
    *, user: User, template: SellCycleTemplate, revision: int, values: Mapping[str, Any]
) -> TemplateStage:
    _require_ops(user)
    template = _lock_at(template, revision)
    last = template.stages.aggregate(last=Max("order"))["last"]
    stage = TemplateStage(
        template=template,
        order=0 if last is None else last + 1,
        **{name: values[name] for name in STAGE_FIELDS if name in values},
    )
    _clean(stage)
    stage.save()
    _bump(template)
    return stage


@transaction.atomic
def template_stage_update(
    *, user: User, stage: TemplateStage, revision: int, values: Mapping[str, Any]
) -> TemplateStage:
    _require_ops(user)
    _lock_at(stage.template, revision)
    for name in STAGE_FIELDS:
        if name in values:
            setattr(stage, name, values[name])
    _clean(stage)
    stage.save()
    _bump(stage.template)
    return stage


@transaction.atomic
def template_stage_delete(*, user: User, stage: TemplateStage, revision: int) -> None:
    _require_ops(user)
    _lock_at(stage.template, revision)
    stage.delete()
    _bump(stage.template)


@transaction.atomic
def template_checkpoint_create(
    *, user: User, stage: TemplateStage, revision: int, description: str, required: bool
) -> TemplateCheckpoint:
    _require_ops(user)
    _lock_at(stage.template, revision)
    last = stage.checkpoints.aggregate(last=Max("order"))["last"]
    checkpoint = TemplateCheckpoint(
        stage=stage,
        order=0 if last is None else last + 1,
        description=description.strip(),
        required=required,
    )
    _clean(checkpoint)
    checkpoint.save()
    _bump(stage.template)
    return checkpoint


@transaction.atomic
def template_checkpoint_delete(
    *, user: User, checkpoint: TemplateCheckpoint, revision: int
) -> None:
    _require_ops(user)
    template = checkpoint.stage.template
    _lock_at(template, revision)
    checkpoint.delete()
    _bump(template)
