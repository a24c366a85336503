"""Describe the in-place editors of plan items for the page template.

The plan page renders each item with a small form built from these specs;
static/js/plan_detail.js sends the form to the item API with its version.
"""

from dataclasses import dataclass, field
from typing import Any, cast

from django.db import models

from accounts.currency import reporting_currency_active
from plans.models import Action, Alignment, ExternalForce, Pursuit, Strategy
from plans.services import EDITABLE_FIELDS

LONG_TEXT = {
    "description",
    "summary",
    "customer_value",
    "source_detail",
    "outcome_reason",
    "our_activities",
    "exit_criteria",
}
LABELS = {
    "source_detail": "Source link or note",
    "customer_value": "Value in the customer's terms",
    "effort_days": "Our effort (person-days)",
    "expected_close_on": "Expected close",
    "outcome_reason": "Outcome reason",
    "reengage_on": "Re-engage on",
    "due_on": "Due",
    "review_on": "Review on",
    "stakeholders": "Stakeholders who own or care",
    "stakeholder": "Person",
    "strategies": "Strategies at risk",
    "pursuits": "Pursuits at risk",
    "strategy": "Serves",
}


# A new item starts open; closing it is a later edit.
NOT_ON_CREATE = {"outcome", "outcome_reason", "reengage_on", "status"}


@dataclass
class FieldSpec:
    name: str
    label: str
    widget: str
    value: Any = ""
    options: list[tuple[Any, str, bool]] = field(default_factory=list)


def _options(
    choices: list[tuple[Any, str]], selected: set[Any], blank: bool
) -> list[tuple[Any, str, bool]]:
    rows = [("", "—", not selected)] if blank else []
    return rows + [(value, label, value in selected) for value, label in choices]


def editor_fields(
    *,
    model: type[models.Model],
    item: models.Model | None,
    lookups: dict[str, list[tuple[Any, str]]],
    currency: str = "",
) -> list[FieldSpec]:
    """Return one spec per editable field, filled from the item if given.

    `currency` is the reporting currency a new item starts in, when the
    caller has read it already; else it is read here.
    """
    specs = []
    for name in EDITABLE_FIELDS[model]:
        model_field = cast(models.Field, model._meta.get_field(name))
        label = LABELS.get(name, str(model_field.verbose_name).capitalize())
        if model_field.many_to_many:
            selected = {obj.pk for obj in getattr(item, name).all()} if item else set()
            specs.append(
                FieldSpec(
                    name,
                    label,
                    "multi",
                    options=_options(lookups[name], selected, False),
                )
            )
            continue
        if model_field.is_relation:
            value = getattr(item, model_field.attname) if item else None
            selected = {value} if value is not None else set()
            blank = model_field.null
            specs.append(
                FieldSpec(
                    name,
                    label,
                    "select",
                    options=_options(lookups[name], selected, blank),
                )
            )
            continue
        value = getattr(item, name) if item else model_field.get_default()
        if name == "currency" and item is None:
            # As pursuit_create does when no currency is given.
            value = currency or reporting_currency_active()
        if model_field.choices:
            specs.append(
                FieldSpec(
                    name,
                    label,
                    "select",
                    options=_options(
                        list(model_field.choices or []),  # type: ignore[arg-type]
                        {value},
                        False,
                    ),
                )
            )
        elif isinstance(model_field, models.BooleanField):
            specs.append(FieldSpec(name, label, "checkbox", value=bool(value)))
        elif isinstance(model_field, models.DateField):
            specs.append(FieldSpec(name, label, "date", value=value or ""))
        elif isinstance(model_field, models.DecimalField | models.IntegerField):
            specs.append(FieldSpec(name, label, "number", value=value))
        elif name in LONG_TEXT:
            specs.append(FieldSpec(name, label, "textarea", value=value or ""))
        else:
            specs.append(FieldSpec(name, label, "text", value=value or ""))
    return specs


def plan_lookups(detail: dict[str, Any]) -> dict[str, list[tuple[Any, str]]]:
    """Return the choices for the plan's relation fields, from loaded rows."""
    people = [(user.pk, user.display_name) for user in detail["team"]]
    return {
        "strategy": [(s.pk, s.title) for s in detail["strategies"]],
        "strategies": [(s.pk, s.title) for s in detail["strategies"]],
        "pursuit": [(p.pk, p.name) for p in detail["pursuits"]],
        "pursuits": [(p.pk, p.name) for p in detail["pursuits"]],
        "product": [(p.pk, p.name) for p in detail["products"]],
        "owner": people,
        "stakeholder": [(s.pk, f"{s.name}, {s.title}") for s in detail["stakeholders"]],
        "stakeholders": [
            (s.pk, f"{s.name}, {s.title}") for s in detail["stakeholders"]
        ],
    }


def attach_editors(detail: dict[str, Any]) -> None:
    """Give each item on the page its editor specs, and each section a blank one."""
    lookups = plan_lookups(detail)
    plan = detail["plan"]
    plan.editor = editor_fields(model=type(plan), item=plan, lookups=lookups)
    for key, model in (
        ("strategies", Strategy),
        ("alignments", Alignment),
        ("pursuits", Pursuit),
        ("actions", Action),
        ("forces", ExternalForce),
    ):
        for item in detail[key]:
            item.editor = editor_fields(model=model, item=item, lookups=lookups)
        detail[f"new_{key}"] = [
            spec
            for spec in editor_fields(
                model=model,
                item=None,
                lookups=lookups,
                currency=detail.get("reporting_currency", ""),
            )
            if spec.name not in NOT_ON_CREATE
        ]
    for pursuit in detail["pursuits"]:
        for stage in pursuit.stages.all():
            stage.editor = editor_fields(model=type(stage), item=stage, lookups=lookups)
