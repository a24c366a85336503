"""Writes to plans. Every change is versioned and recorded in the history."""

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.currency import reporting_currency_active
from accounts.currency_codes import amount_places_problem
from accounts.history import change_record_many
from accounts.models import Account, AuditEvent, User
from accounts.selectors import account_list_for_user
from config.bounds import date_problem, text_problem
from config.security import audit_record
from plans.errors import (
    CANNOT_CHANGE,
    GateClosed,
    PlanClosed,
    PlanError,
    VersionConflict,
    validation_field_errors,
)
from plans.models import (
    Action,
    Alignment,
    Checkpoint,
    Comment,
    ExternalForce,
    GateOverride,
    Plan,
    Pursuit,
    PursuitStage,
    SellCycleTemplate,
    Strategy,
    TemplateCheckpoint,
    TemplateStage,
)
from plans.periods import fiscal_period, fiscal_year_for

logger = logging.getLogger(__name__)

NO_SUCH_PERSON = "No such person on this account."
NOT_ON_TEAM = "That user is not on this account's team."
# Keyed by field: a strategy or pursuit of another plan reads the same as a
# missing one, so the answer names no title and confirms no id.
NO_SUCH_ITEM = {
    "strategy": "No such strategy on this plan.",
    "strategies": "No such strategy on this plan.",
    "pursuit": "No such pursuit on this plan.",
    "pursuits": "No such pursuit on this plan.",
}

# What a user may change on each kind of plan item, by API or page.
EDITABLE_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Plan: ("status", "summary", "owner"),
    Strategy: (
        "kind",
        "title",
        "description",
        "horizon",
        "priority",
        "source",
        "source_detail",
        "status",
        "stakeholders",
    ),
    Alignment: ("strategy", "product", "customer_value", "effort_days"),
    Pursuit: (
        "name",
        "product",
        "strategy",
        "amount",
        "currency",
        "expected_close_on",
        "owner",
        "outcome",
        "outcome_reason",
        "reengage_on",
    ),
    PursuitStage: ("name", "our_activities", "exit_criteria", "buyer_step"),
    Checkpoint: ("description", "required"),
    Action: (
        "title",
        "owner",
        "due_on",
        "status",
        "strategy",
        "pursuit",
        "stakeholder",
    ),
    ExternalForce: (
        "kind",
        "title",
        "description",
        "impact",
        "review_on",
        "status",
        "strategies",
        "pursuits",
    ),
}


def item_account(item: models.Model) -> Account:
    """Return the account a plan item belongs to."""
    if isinstance(item, Plan):
        return item.account
    if isinstance(item, PursuitStage):
        return item.pursuit.plan.account
    if isinstance(item, Checkpoint):
        return item.stage.pursuit.plan.account
    return item.plan.account  # type: ignore[attr-defined]


def item_plan(item: models.Model) -> Plan:
    if isinstance(item, Plan):
        return item
    if isinstance(item, PursuitStage):
        return item.pursuit.plan
    if isinstance(item, Checkpoint):
        return item.stage.pursuit.plan
    return item.plan  # type: ignore[attr-defined]


def _m2m_fields(model: type[models.Model]) -> set[str]:
    return {field.name for field in model._meta.many_to_many}


def _as_history(value: Any) -> Any:
    if isinstance(value, User):
        return value.display_name
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return ", ".join(sorted(str(item) for item in value))
    return value


def _check_same_plan(
    item: models.Model, values: Mapping[str, Any], *, user: User | None
) -> None:
    """Refuse links to items, people or owners from outside the plan's account."""
    plan = item_plan(item)
    for name, value in values.items():
        linked = value if isinstance(value, list | tuple) else [value]
        for target in linked:
            if target is None:
                continue
            if isinstance(target, Strategy | Pursuit) and target.plan_id != plan.pk:
                message = NO_SUCH_ITEM[name]
                raise PlanError(message, field=name)
            account_id = getattr(target, "account_id", None)
            if (
                name in {"stakeholder", "stakeholders"}
                and account_id != plan.account_id
            ):
                # Neutral on purpose: naming the person would tell a rep who
                # works at an account they may not see.
                raise PlanError(NO_SUCH_PERSON, field=name)
            if name == "owner":
                _check_owner(item, plan=plan, owner=target, user=user)


def _check_owner(
    item: models.Model, *, plan: Plan, owner: User, user: User | None
) -> None:
    """Refuse an owner off the account's team, unless kept or the editor.

    Otherwise walking user ids would list every username, and a plan could
    be handed to someone who may not even see it.
    """
    if owner.pk == getattr(item, "owner_id", None):
        return
    if user is not None and owner.pk == user.pk:
        return
    if not plan.account.team_memberships.filter(user=owner).exists():
        raise PlanError(NOT_ON_TEAM, field="owner")


def _check_plan_open(item: models.Model, values: Mapping[str, Any]) -> None:
    """Refuse writes to a closed plan; only reopening the plan itself passes."""
    plan = item_plan(item)
    if plan.pk is None or plan.status != Plan.Status.CLOSED:
        return
    if isinstance(item, Plan) and set(values) <= {"status"}:
        return
    raise PlanClosed(
        f"The {plan.label} plan is closed and kept as it was; reopen it to change it."
    )


def _check_pursuit_values(
    *, user: User, pursuit: Pursuit, values: Mapping[str, Any]
) -> None:
    """Refuse amounts below zero, stale close dates and a Won past the gates."""
    amount = values.get("amount")
    if amount is not None and amount < 0:
        raise PlanError("The amount cannot be negative.", field="amount")
    problem = amount_places_problem(amount, values.get("currency", pursuit.currency))
    if problem is not None:
        raise PlanError(problem, field="amount")
    outcome = values.get("outcome", pursuit.outcome)
    close_on = values.get("expected_close_on")
    plan = pursuit.plan
    if (
        close_on is not None
        and outcome == Pursuit.Outcome.OPEN
        and close_on < plan.period_start
    ):
        raise PlanError(
            f"The expected close date {close_on:%d %b %Y} is before the "
            f"{plan.label} plan starts ({plan.period_start:%d %b %Y}); "
            "set when it will close now, or record the outcome.",
            field="expected_close_on",
        )
    if outcome == Pursuit.Outcome.WON and pursuit.outcome != Pursuit.Outcome.WON:
        _check_may_win(pursuit=pursuit)


def _check_may_win(*, pursuit: Pursuit) -> None:
    """Won needs the last stage reached and its checkpoints validated.

    Reaching the last stage means every earlier gate was passed, either
    with the buyer's checkpoints validated or by a recorded manager override.
    Lost and no decision may be recorded at any stage.
    """
    stages = list(pursuit.stages.prefetch_related("checkpoints"))
    if not stages:
        raise PlanError(
            "This pursuit has no sell-cycle stages, so no gate shows it was "
            "won; add stages and pass them first."
        )
    last = stages[-1]
    if pursuit.current_stage_id != last.pk:
        current = pursuit.current_stage.name if pursuit.current_stage else "none"
        raise GateClosed(
            f"Only a pursuit at its last stage ({last.name}) can be won; this "
            f"one is at {current}. Pass its gates first, or ask a sales "
            "manager to override them.",
            missing=[],
        )
    missing = [
        checkpoint.description
        for checkpoint in last.checkpoints.all()
        if checkpoint.required and not checkpoint.is_validated
    ]
    if missing:
        raise GateClosed(
            f"Cannot mark it won: the buyer has not yet shown "
            f"{len(missing)} required checkpoint(s) of {last.name}: "
            f"{'; '.join(missing)}.",
            missing=missing,
        )


def _bounds_check(item: models.Model) -> None:
    """Refuse a text or a date no one would mean, as full_clean would."""
    problems: dict[str, list[str]] = {}
    for field in item._meta.concrete_fields:
        value = getattr(item, field.attname)
        if isinstance(field, models.TextField):
            problem = text_problem(value)
        elif isinstance(field, models.DateField) and not isinstance(
            field, models.DateTimeField
        ):
            problem = date_problem(value)
        else:
            continue
        if problem:
            problems[field.name] = [problem]
    if problems:
        raise ValidationError(problems)


def _full_clean(item: models.Model) -> None:
    try:
        _bounds_check(item)
        item.full_clean(exclude=["plan", "pursuit", "stage"])
    except ValidationError as error:
        messages = [
            _sentence(
                " ".join(texts)
                if field == "__all__"
                else f"{_field_label(item, field)}: {' '.join(texts)}"
            )
            for field, texts in error.message_dict.items()
        ]
        fields = set(error.message_dict) - {"__all__"}
        if len(fields) == 1 and len(error.message_dict) == 1:
            field = fields.pop()
            raise PlanError(
                " ".join(messages),
                field=field,
                reason=_sentence(" ".join(error.message_dict[field])),
            ) from error
        raise PlanError(
            " ".join(messages), errors=validation_field_errors(error)
        ) from error


def _field_label(item: models.Model, name: str) -> str:
    """Return the field's name as people read it ("Expected close on")."""
    field = item._meta.get_field(name)
    # A reverse relation has no verbose name; it reads as its own name.
    if isinstance(field, models.Field):
        label = str(field.verbose_name)
    else:
        label = name.replace("_", " ")
    return label[:1].upper() + label[1:]


def _sentence(text: str) -> str:
    """End a message with one full stop, never two."""
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _versioned_save(
    *,
    user: User,
    item: models.Model,
    version: int,
    values: Mapping[str, Any],
    action: str = "update",
) -> models.Model:
    """Save the values only if the item is still at `version`; record it.

    The conditional UPDATE is the concurrency guard: of several saves made
    at the same version, PostgreSQL lets exactly one match the WHERE clause,
    and the others see zero rows updated and get a conflict.
    """
    model = type(item)
    m2m = _m2m_fields(model)
    plain = {name: value for name, value in values.items() if name not in m2m}
    related = {name: list(value) for name, value in values.items() if name in m2m}
    _check_plan_open(item, values)
    _check_same_plan(item, values, user=user)

    changes: dict[str, tuple[Any, Any]] = {}
    for name, new in plain.items():
        old = getattr(item, name)
        if old != new:
            changes[name] = (_as_history(old), _as_history(new))
    for name, new in related.items():
        old = list(getattr(item, name).all())
        if {obj.pk for obj in old} != {obj.pk for obj in new}:
            changes[name] = (_as_history(old), _as_history(new))
    for name, new in plain.items():
        setattr(item, name, new)
    _full_clean(item)

    now = timezone.now()
    with transaction.atomic():
        attnames = [
            cast(models.Field, model._meta.get_field(name)).attname for name in plain
        ]
        columns = {attname: getattr(item, attname) for attname in attnames}
        updated = model._default_manager.filter(pk=item.pk, version=version).update(
            **columns, version=F("version") + 1, updated_at=now
        )
        if updated == 0:
            current = model._default_manager.filter(pk=item.pk).first()
            raise VersionConflict(
                "Someone else saved this first. Their version is shown beside "
                "yours; nothing you typed was lost.",
                current=current,
            )
        for name, new in related.items():
            getattr(item, name).set(new)
        change_record_many(
            user=user,
            account=item_account(item),
            target=item,
            changes=changes,
            action=action,
        )

    item.version = version + 1  # type: ignore[attr-defined]
    item.updated_at = now  # type: ignore[attr-defined]
    logger.debug(
        "plan item %s %s saved at version %s", model.__name__, item.pk, version
    )
    return item


def plan_item_update(
    *, user: User, item: models.Model, version: int, values: Mapping[str, Any]
) -> models.Model:
    """Change an item's editable fields, refusing a stale version."""
    allowed = EDITABLE_FIELDS[type(item)]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise PlanError(
            f"These fields cannot be changed here: {', '.join(unknown)}.",
            errors=dict.fromkeys(unknown, [CANNOT_CHANGE]),
        )
    values = dict(values)
    _check_plan_open(item, values)
    if isinstance(item, Pursuit):
        _check_pursuit_values(user=user, pursuit=item, values=values)
    if (
        isinstance(item, Checkpoint)
        and "required" in values
        and values["required"] != item.required
        and not gate_can_override(user=user, account=item_account(item))
    ):
        # Otherwise a rep could open their own gate by unticking it.
        raise PlanError(
            "Only a sales manager of this account's team can change whether "
            "a checkpoint is required."
        )
    if isinstance(item, Pursuit) and "outcome" in values:
        closing = values["outcome"] != Pursuit.Outcome.OPEN
        values["closed_on"] = timezone.localdate() if closing else None
        if closing and item.closed_on and item.outcome == values["outcome"]:
            values["closed_on"] = item.closed_on
    return _versioned_save(user=user, item=item, version=version, values=values)


def _record_create(*, user: User | None, item: models.Model, fields: list[str]) -> None:
    changes = {}
    for name in fields:
        value = getattr(item, name)
        if name in _m2m_fields(type(item)):
            value = list(value.all())
        changes[name] = ("", _as_history(value))
    change_record_many(
        user=user,
        account=item_account(item),
        target=item,
        changes=changes,
        action="create",
    )


def _create(
    *, user: User | None, item: models.Model, values: Mapping[str, Any]
) -> models.Model:
    m2m = _m2m_fields(type(item))
    _check_plan_open(item, values)
    _check_same_plan(item, values, user=user)
    for name, value in values.items():
        if name not in m2m:
            setattr(item, name, value)
    _full_clean(item)
    item.save()
    for name, value in values.items():
        if name in m2m:
            getattr(item, name).set(value)
    _record_create(user=user, item=item, fields=list(values))
    return item


@transaction.atomic
def plan_create(
    *,
    user: User | None,
    account: Account,
    fiscal_year: int | None = None,
    owner: User | None = None,
    summary: str = "",
    previous: Plan | None = None,
) -> Plan:
    """Start the plan for an account's fiscal year (the current one by default)."""
    fiscal_year = fiscal_year or fiscal_year_for(timezone.localdate())
    start, end = fiscal_period(fiscal_year)
    if Plan.objects.filter(
        Q(fiscal_year=fiscal_year) | Q(period_start=start), account=account
    ).exists():
        raise PlanError(
            f"{account} already has a plan for FY{fiscal_year}.", field="fiscal_year"
        )
    plan = Plan(
        account=account,
        fiscal_year=fiscal_year,
        period_start=start,
        period_end=end,
        previous=previous,
    )
    _create(
        user=user,
        item=plan,
        values={
            "owner": owner or user,
            "summary": summary,
            "status": Plan.Status.ACTIVE,
        },
    )
    return plan


def strategy_create(*, user: User, plan: Plan, values: Mapping[str, Any]) -> Strategy:
    return _create(user=user, item=Strategy(plan=plan), values=values)  # type: ignore[return-value]


def alignment_create(*, user: User, plan: Plan, values: Mapping[str, Any]) -> Alignment:
    return _create(user=user, item=Alignment(plan=plan), values=values)  # type: ignore[return-value]


def action_create(*, user: User, plan: Plan, values: Mapping[str, Any]) -> Action:
    return _create(user=user, item=Action(plan=plan), values=values)  # type: ignore[return-value]


def external_force_create(
    *, user: User, plan: Plan, values: Mapping[str, Any]
) -> ExternalForce:
    return _create(user=user, item=ExternalForce(plan=plan), values=values)  # type: ignore[return-value]


def template_default() -> SellCycleTemplate | None:
    """Return the template a pursuit copies when none is chosen.

    The oldest active one: the migration ships the expansion cycle first.
    """
    return SellCycleTemplate.objects.filter(is_active=True).order_by("pk").first()


@transaction.atomic
def pursuit_create(
    *,
    user: User,
    plan: Plan,
    values: Mapping[str, Any],
    template: SellCycleTemplate | None = None,
) -> Pursuit:
    """Start a pursuit, copying the sell-cycle template into its own stages.

    The copy is the pursuit's to tailor: later edits to the template never
    reach it.
    """
    values = dict(values)
    values.setdefault("owner", user)
    values.setdefault("currency", reporting_currency_active())
    pursuit = Pursuit(plan=plan)
    if values.get("outcome", Pursuit.Outcome.OPEN) != Pursuit.Outcome.OPEN:
        raise PlanError("A pursuit starts open; record its outcome once it has one.")
    _check_pursuit_values(user=user, pursuit=pursuit, values=values)
    # Without stages a pursuit would have no gate at all.
    template = template or template_default()
    if template is None:
        raise PlanError(
            "There is no active sell-cycle template to start the pursuit from; "
            "ask an administrator to activate one."
        )
    pursuit.template = template
    pursuit.template_revision = template.revision
    _create(user=user, item=pursuit, values=values)

    first = None
    for template_stage in template.stages.prefetch_related("checkpoints"):
        stage = PursuitStage.objects.create(
            pursuit=pursuit,
            order=template_stage.order,
            name=template_stage.name,
            our_activities=template_stage.our_activities,
            exit_criteria=template_stage.exit_criteria,
            buyer_step=template_stage.buyer_step,
        )
        Checkpoint.objects.bulk_create(
            Checkpoint(
                stage=stage,
                order=checkpoint.order,
                description=checkpoint.description,
                required=checkpoint.required,
            )
            for checkpoint in template_stage.checkpoints.all()
        )
        first = first or stage
    Pursuit.objects.filter(pk=pursuit.pk).update(current_stage=first)
    pursuit.current_stage = first
    return pursuit


def checkpoint_create(
    *, user: User, stage: PursuitStage, description: str, required: bool = True
) -> Checkpoint:
    order = stage.checkpoints.count()
    checkpoint = Checkpoint(stage=stage, order=order)
    return _create(  # type: ignore[return-value]
        user=user,
        item=checkpoint,
        values={"description": description, "required": required},
    )


def checkpoint_validate(
    *,
    user: User,
    checkpoint: Checkpoint,
    version: int,
    evidence: str,
    happened_on: date | None,
    evidence_link: str = "",
) -> Checkpoint:
    """Record that the buyer did it: what happened, when, and who checked."""
    if not evidence.strip():
        raise PlanError(
            "Say what the buyer did: evidence is required.", field="evidence"
        )
    if happened_on is None:
        raise PlanError("Say when it happened.", field="happened_on")
    if happened_on > timezone.localdate():
        raise PlanError("Evidence cannot come from the future.", field="happened_on")

    values = {
        "evidence": evidence.strip(),
        "evidence_link": evidence_link.strip(),
        "happened_on": happened_on,
        "validated_at": timezone.now(),
        "validated_by": user,
    }
    return _versioned_save(  # type: ignore[return-value]
        user=user, item=checkpoint, version=version, values=values, action="validate"
    )


def gate_can_override(*, user: User, account: Account) -> bool:
    """Return whether the user may let a pursuit past an unmet gate.

    Only a sales manager whose team works the account: the gate is a
    coaching control, so neither reps nor sales operations can open it.
    """
    if not user.is_manager:
        return False
    if getattr(account, "_seen_by", None) == user.pk:
        # Read through the access rule for this user already.
        return True
    return account_list_for_user(user=user).filter(pk=account.pk).exists()


def pursuit_advance(
    *,
    user: User,
    pursuit: Pursuit,
    version: int,
    override_reason: str = "",
    request: HttpRequest | None = None,
) -> Pursuit:
    """Move the pursuit to its next stage if the buyer's checkpoints allow.

    A stage with unvalidated required checkpoints is a closed gate; only a
    manager may pass it, with a written reason that stays on record.
    """
    if not pursuit.is_open:
        raise PlanError("This pursuit is closed; reopen it to move its stage.")
    stages = list(pursuit.stages.prefetch_related("checkpoints"))
    current = pursuit.current_stage
    if current is None or current not in stages:
        raise PlanError("This pursuit has no sell-cycle stages.")
    position = stages.index(current)
    if position == len(stages) - 1:
        raise PlanError(f"{current.name} is already the last stage.")
    target = stages[position + 1]

    missing = [
        checkpoint.description
        for checkpoint in current.checkpoints.all()
        if checkpoint.required and not checkpoint.is_validated
    ]
    reason = override_reason.strip()
    account = pursuit.plan.account
    if missing and not reason:
        raise GateClosed(
            f"Cannot move past {current.name}: the buyer has not yet shown "
            f"{len(missing)} required checkpoint(s): {'; '.join(missing)}.",
            missing=missing,
        )
    if missing and not gate_can_override(user=user, account=account):
        raise GateClosed(
            "Only a sales manager of this account's team can override a gate.",
            missing=missing,
        )

    with transaction.atomic():
        _versioned_save(
            user=user,
            item=pursuit,
            version=version,
            values={"current_stage": target},
            action="advance",
        )
        if missing:
            GateOverride.objects.create(
                pursuit=pursuit,
                from_stage=current,
                to_stage=target,
                reason=reason,
                missing_checkpoints="\n".join(missing),
                overridden_by=user,
            )
            change_record_many(
                user=user,
                account=account,
                target=pursuit,
                changes={"gate_override": ("", f"{current.name}: {reason}")},
                action="override",
            )
            audit_record(
                actor=user,
                action=AuditEvent.Action.OVERRIDE,
                target=pursuit,
                request=request,
                detail={
                    "reason": reason,
                    "from_stage": current.name,
                    "to_stage": target.name,
                    "missing_checkpoints": missing,
                },
            )
            logger.info("gate overridden on pursuit %s by user %s", pursuit.pk, user.pk)
    return pursuit


def pursuit_move_back(*, user: User, pursuit: Pursuit, version: int) -> Pursuit:
    """Move the pursuit back one stage; going back needs no gate."""
    stages = list(pursuit.stages.all())
    current = pursuit.current_stage
    if current is None or current not in stages or stages.index(current) == 0:
        raise PlanError("This pursuit is already at its first stage.")
    target = stages[stages.index(current) - 1]
    return _versioned_save(  # type: ignore[return-value]
        user=user, item=pursuit, version=version, values={"current_stage": target}
    )


def comment_create(*, user: User, plan: Plan, body: str) -> Comment:
    if not body.strip():
        raise PlanError("Write something before posting.", field="body")
    return Comment.objects.create(plan=plan, author=user, body=body.strip())


@transaction.atomic
def plan_start_next(*, user: User, plan: Plan) -> Plan:
    """Start the next fiscal year's plan, carrying forward what is still open.

    Open strategies, their alignments, open actions and active external
    forces are copied; open pursuits move across (one deal stays one record);
    everything closed stays behind with the old plan, which is closed.
    """
    new = plan_create(
        user=user,
        account=plan.account,
        fiscal_year=plan.next_fiscal_year,
        owner=plan.owner,
        summary=plan.summary,
        previous=plan,
    )

    strategies: dict[int, Strategy] = {}
    for strategy in plan.strategies.filter(
        status=Strategy.Status.OPEN
    ).prefetch_related("stakeholders", "alignments"):
        copy = strategy_create(
            user=user,
            plan=new,
            values={
                "kind": strategy.kind,
                "title": strategy.title,
                "description": strategy.description,
                "horizon": strategy.horizon,
                "priority": strategy.priority,
                "source": strategy.source,
                "source_detail": strategy.source_detail,
                "stakeholders": list(strategy.stakeholders.all()),
            },
        )
        strategies[strategy.pk] = copy
        for alignment in strategy.alignments.all():
            alignment_create(
                user=user,
                plan=new,
                values={
                    "strategy": copy,
                    "product": alignment.product,
                    "customer_value": alignment.customer_value,
                    "effort_days": alignment.effort_days,
                },
            )

    moved = list(plan.pursuits.filter(outcome=Pursuit.Outcome.OPEN))
    for pursuit in moved:
        new_strategy = (
            strategies.get(pursuit.strategy_id) if pursuit.strategy_id else None
        )
        change_record_many(
            user=user,
            account=plan.account,
            target=pursuit,
            changes={"plan": (plan.label, new.label)},
            action="carry",
        )
        Pursuit.objects.filter(pk=pursuit.pk).update(
            plan=new, strategy=new_strategy, version=F("version") + 1
        )

    open_actions = plan.actions.filter(
        status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS]
    ).select_related("pursuit")
    for action in open_actions:
        carried = action.pursuit if action.pursuit in moved else None
        action_create(
            user=user,
            plan=new,
            values={
                "title": action.title,
                "owner": action.owner,
                "due_on": action.due_on,
                "status": action.status,
                "strategy": strategies.get(action.strategy_id or 0),
                "pursuit": Pursuit.objects.get(pk=carried.pk) if carried else None,
                "stakeholder": action.stakeholder,
            },
        )

    active = plan.external_forces.filter(
        status=ExternalForce.Status.ACTIVE
    ).prefetch_related("strategies", "pursuits")
    moved_ids = {pursuit.pk for pursuit in moved}
    for force in active:
        external_force_create(
            user=user,
            plan=new,
            values={
                "kind": force.kind,
                "title": force.title,
                "description": force.description,
                "impact": force.impact,
                "review_on": force.review_on,
                "strategies": [
                    strategies[s.pk]
                    for s in force.strategies.all()
                    if s.pk in strategies
                ],
                "pursuits": list(
                    Pursuit.objects.filter(
                        pk__in=[p.pk for p in force.pursuits.all() if p.pk in moved_ids]
                    )
                ),
            },
        )

    _versioned_save(
        user=user,
        item=plan,
        version=Plan.objects.get(pk=plan.pk).version,
        values={"status": Plan.Status.CLOSED},
    )
    return new


@transaction.atomic
def template_create(
    *, name: str, description: str, stages: list[dict[str, Any]]
) -> SellCycleTemplate:
    """Create a template from stages, each with a list of checkpoints."""
    template = SellCycleTemplate.objects.create(name=name, description=description)
    _template_stages_write(template=template, stages=stages)
    return template


def _template_stages_write(
    *, template: SellCycleTemplate, stages: list[dict[str, Any]]
) -> None:
    for order, stage_values in enumerate(stages, start=1):
        checkpoints = stage_values.get("checkpoints", [])
        stage = TemplateStage.objects.create(
            template=template,
            order=order,
            name=stage_values["name"],
            our_activities=stage_values.get("our_activities", ""),
            exit_criteria=stage_values.get("exit_criteria", ""),
            buyer_step=stage_values.get("buyer_step", ""),
        )
        TemplateCheckpoint.objects.bulk_create(
            TemplateCheckpoint(
                stage=stage,
                order=index,
                description=checkpoint["description"],
                required=checkpoint.get("required", True),
            )
            for index, checkpoint in enumerate(checkpoints)
        )


@transaction.atomic
def template_update(
    *,
    template: SellCycleTemplate,
    description: str | None = None,
    stages: list[dict[str, Any]] | None = None,
) -> SellCycleTemplate:
    """Change a template and bump its revision; running pursuits keep theirs."""
    if description is not None:
        template.description = description
    if stages is not None:
        template.stages.all().delete()
        _template_stages_write(template=template, stages=stages)
    template.revision = F("revision") + 1
    template.save()
    template.refresh_from_db()
    return template
