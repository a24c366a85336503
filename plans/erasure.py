"""Remove an erased person's personal values from everything plans stored.

Plans quote people in free text (review attendees, decisions, notes) and
freeze them in snapshots; stakeholders cannot reach those tables (it must
not import plans), so it sends stakeholder_erased and this receiver scrubs
every text column and every snapshot capture on that person's account.
"""

import logging
from functools import cache
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Value
from django.db.models.functions import Replace

from accounts.history import ERASED
from accounts.models import Account
from config.versions import version_bump

logger = logging.getLogger(__name__)

_TEXT_TYPES = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}


@cache
def _account_path(model: type[models.Model], depth: int = 4) -> str | None:
    """Return the lookup from a plans model to its account, shortest first."""
    paths = []
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.related_model is None:
            continue
        if field.related_model is Account:
            return field.name
        if depth and field.related_model._meta.app_label == "plans":
            further = _account_path(field.related_model, depth - 1)
            if further is not None:
                paths.append(f"{field.name}__{further}")
    return min(paths, key=lambda path: path.count("__"), default=None)


def _scrub(value: Any, erased: list[str]) -> Any:
    """Return a JSON value with every erased text replaced, at any depth."""
    if isinstance(value, str):
        for text in erased:
            value = value.replace(text, ERASED)
        return value
    if isinstance(value, list):
        return [_scrub(item, erased) for item in value]
    if isinstance(value, dict):
        return {
            _scrub(key, erased): _scrub(item, erased) for key, item in value.items()
        }
    return value


def _blank_person(data: Any, *, person_key: str, label: str) -> Any:
    """Blank the person's own entry in a snapshot capture, title included."""
    if not isinstance(data, dict) or not isinstance(data.get("people"), dict):
        return data
    entry = data["people"].get(person_key)
    if not isinstance(entry, dict):
        return data
    people = {**data["people"], person_key: {**entry, "name": label, "title": ""}}
    return {**data, "people": people}


def plans_erase_values(
    *,
    account: Account,
    erased_values: list[str],
    person_key: str = "",
    label: str = ERASED,
) -> int:
    """Scrub the values from every plans row of the account; return rows changed.

    With person_key, a snapshot's entry for that person (keyed by their id)
    also loses its title, which the free-text scrub leaves alone elsewhere.
    """
    erased = sorted({text for text in erased_values if text}, key=len, reverse=True)
    changed = 0
    for model in apps.get_app_config("plans").get_models():
        path = _account_path(model)
        if path is None:
            continue
        rows = model._default_manager.filter(**{path: account})
        for field in model._meta.concrete_fields:
            kind = field.get_internal_type()
            if kind == "JSONField":
                for pk, data in rows.values_list("pk", field.attname):
                    clean = _scrub(
                        _blank_person(data, person_key=person_key, label=label),
                        erased,
                    )
                    if clean != data:
                        rows.filter(pk=pk).update(
                            **{field.attname: clean}, **version_bump(model=model)
                        )
                        changed += 1
                continue
            if kind not in _TEXT_TYPES or field.choices:
                continue
            for text in erased:  # empty when the person quoted nothing
                # The version moves, so a form read before the erasure
                # cannot put the erased text back.
                changed += rows.filter(**{f"{field.attname}__contains": text}).update(
                    **{
                        field.attname: Replace(
                            field.attname, Value(text), Value(ERASED)
                        )
                    },
                    **version_bump(model=model),
                )
    return changed


def on_stakeholder_erased(
    sender: type[models.Model], *, stakeholder: Any, erased_values: list[str], **_: Any
) -> None:
    """Receiver of stakeholders.signals.stakeholder_erased."""
    changed = plans_erase_values(
        account=stakeholder.account,
        erased_values=erased_values,
        person_key=str(stakeholder.pk),
        label=str(stakeholder),
    )
    logger.info("erased stakeholder %s from %s plan rows", stakeholder.pk, changed)
    # No one may answer for an erased person, so their links stop here.
    revoked = (
        apps.get_model("plans", "CustomerLink")
        .objects.filter(stakeholder=stakeholder, revoked_at__isnull=True)
        .update(revoked_at=stakeholder.erased_at)
    )
    logger.info("revoked %s customer links of stakeholder %s", revoked, stakeholder.pk)
