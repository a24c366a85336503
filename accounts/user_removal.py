"""When a user is deleted, move the version of every record that named them.

A foreign key to a user with SET_NULL is cleared by Django in an UPDATE
that leaves `updated_at` (the ETag) and a plan's `version` as they were,
so a form or a PATCH read before would overwrite the cleared value
without a conflict. This moves both, in the deletion's own transaction.
"""

from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.signals import pre_delete
from django.utils import timezone

from accounts.models import User


def _cleared_by_user_deletion() -> list[tuple[type[models.Model], str]]:
    """Return each (model, field) that deleting a user sets to NULL."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.ForeignKey)
                and field.related_model is User
                and field.remote_field.on_delete is models.SET_NULL
            ):
                found.append((model, field.name))
    return found


def user_references_touch(*, user: User) -> int:
    """Move the version of each record that names the user; return how many."""
    now = timezone.now()
    touched = 0
    for model, field in _cleared_by_user_deletion():
        names = {column.name for column in model._meta.concrete_fields}
        changes: dict[str, Any] = {}
        if "updated_at" in names:
            changes["updated_at"] = now
        if "version" in names and isinstance(
            model._meta.get_field("version"), models.IntegerField
        ):
            changes["version"] = models.F("version") + 1
        if changes:
            touched += model._default_manager.filter(**{field: user}).update(**changes)
    return touched


def _user_pre_delete(sender: type[User], instance: User, **kwargs: object) -> None:
    # pre_delete runs inside the deletion's transaction, before Django's
    # collector clears the references, so they still find the user here.
    user_references_touch(user=instance)


def receivers_connect() -> None:
    pre_delete.connect(
        _user_pre_delete, sender=User, dispatch_uid="accounts.user_references_touch"
    )
