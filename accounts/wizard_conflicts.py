"""Explain an import that met records another import wrote meanwhile.

Two imports started together may both find no account named "Gull Bank"
and both create it: the later insert breaks the unique name. Nothing of
the later import is written (it runs in one transaction); its rows are
named here with the import that created each record, and checking it
again turns them into updates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.importing import REJECTED, Issue
from accounts.models import ImportJob, ImportRowChange

# Names looked up per query: far below SQLite's bound on parameters.
_LOOKUP_BATCH = 500


@dataclass(frozen=True)
class ConflictRow:
    name: str
    file: str
    line: int
    column: str


class WrittenMeanwhile(Exception):
    """New records that broke a unique key: another writer got there first."""

    def __init__(self, *, model: type[models.Model], rows: Sequence[ConflictRow]):
        super().__init__(f"{model._meta.verbose_name_plural} written meanwhile")
        self.model = model
        self.rows = rows


def conflict_issues(*, conflict: WrittenMeanwhile, job: ImportJob) -> list[Issue]:
    """Name each row whose record was created meanwhile, and by which import."""
    model = conflict.model
    noun = str(model._meta.verbose_name)
    names = {row.name for row in conflict.rows if row.name}
    found = dict(_existing(model=model, names=names))
    creators = _creators(model=model, pks=found.values(), job=job)
    issues = []
    for row in conflict.rows:
        pk = found.get(row.name)
        if pk is None:
            continue
        other = creators.get(pk)
        if other is None:
            by = "meanwhile, not by an import"
        else:
            who = other.created_by.display_name if other.created_by else "no user"
            by = f"meanwhile by import {other.pk} ({who})"
        issues.append(
            Issue(
                row.file,
                row.line,
                row.column,
                row.name,
                f"the {noun} {row.name!r} was created {by}; nothing was "
                "written: check this import again and this row updates it",
                REJECTED,
            )
        )
    if issues:
        return issues
    return [
        Issue(
            "",
            0,
            "",
            "",
            f"another import or user wrote the same "
            f"{model._meta.verbose_name_plural} while this import ran; nothing "
            "was written: check this import again and its rows update them",
            REJECTED,
        )
    ]


def _existing(
    *, model: type[models.Model], names: Iterable[str]
) -> Iterable[tuple[str, int]]:
    if not any(field.name == "name" for field in model._meta.fields):
        return
    ordered = sorted(names)
    for start in range(0, len(ordered), _LOOKUP_BATCH):
        batch = ordered[start : start + _LOOKUP_BATCH]
        yield from model._default_manager.filter(name__in=batch).values_list(
            "name", "pk"
        )


def _creators(
    *, model: type[models.Model], pks: Iterable[int], job: ImportJob
) -> dict[int, ImportJob]:
    ordered = sorted(pks)
    creators: dict[int, ImportJob] = {}
    content_type = ContentType.objects.get_for_model(model)
    for start in range(0, len(ordered), _LOOKUP_BATCH):
        changes = (
            ImportRowChange.objects.filter(
                content_type=content_type,
                object_id__in=ordered[start : start + _LOOKUP_BATCH],
                action=ImportRowChange.Action.CREATED,
            )
            .exclude(job=job)
            .select_related("job__created_by")
        )
        creators.update((change.object_id, change.job) for change in changes)
    return creators
