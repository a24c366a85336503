"""Record and read who changed what, for any object that belongs to an account."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.models import Account, ChangeRecord, User

ERASED = "[erased]"


def history_text(value: Any) -> str:
    """Return a value as the history keeps it: a CRM's fields as "Name: value"."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dict):
        return "; ".join(f"{name}: {text}" for name, text in sorted(value.items()))
    return str(value)


def change_record_many(
    *,
    user: User | None,
    account: Account,
    target: models.Model,
    changes: Mapping[str, tuple[Any, Any]],
    action: str = "update",
) -> list[ChangeRecord]:
    """Write one history entry per changed field, old and new in full."""
    content_type = ContentType.objects.get_for_model(target)
    records = [
        ChangeRecord(
            account=account,
            content_type=content_type,
            object_id=target.pk,
            object_label=str(target)[:300],
            action=action,
            field=field,
            old_value=history_text(old),
            new_value=history_text(new),
            changed_by=user,
        )
        for field, (old, new) in changes.items()
        if history_text(old) != history_text(new) or action != "update"
    ]
    return ChangeRecord.objects.bulk_create(records)


def model_changes(
    instance: models.Model, values: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Return {field: (old, new)} for the values that differ from the instance."""
    return {
        field: (getattr(instance, field), new)
        for field, new in values.items()
        if getattr(instance, field) != new
    }


def change_list_for_target(*, target: models.Model) -> models.QuerySet[ChangeRecord]:
    return ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    ).select_related("changed_by")


def change_records_erase(
    *, target: models.Model, fields: Iterable[str], label: str = ERASED
) -> int:
    """Blank the erased fields' old and new values throughout the history."""
    records = change_list_for_target(target=target)
    records.update(object_label=label)
    return records.filter(field__in=list(fields)).update(
        old_value=ERASED, new_value=ERASED
    )
