"""A record's version moves with every write, one row or a million.

The ETag of an account, a deal or a person is its `updated_at`. `save()`
moves it (auto_now), but a set-based write (`QuerySet.update`, and with it
`bulk_update`) does not: an import's undo, an erasure or a merge would then
change a record under an open form that still matches it, and the form's
stale values would go back in as a hand edit.
"""

from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone


def version_bump(*, model: type[models.Model]) -> dict[str, Any]:
    """Return the values that move a model's version in a set-based update.

    `updated_at` to now where the model has one, and an integer `version`
    one up where it has that.
    """
    names = {field.name: field for field in model._meta.concrete_fields}
    values: dict[str, Any] = {}
    if "updated_at" in names:
        values["updated_at"] = timezone.now()
    if isinstance(names.get("version"), models.IntegerField):
        values["version"] = F("version") + 1
    return values


class VersionedQuerySet(models.QuerySet):
    """A queryset whose `update` moves each row's version, unless told it."""

    def update(self, **kwargs: Any) -> int:
        for name, value in version_bump(model=self.model).items():
            kwargs.setdefault(name, value)
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]
