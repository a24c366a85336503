"""Name the records an import's undo would delete or set back.

The undo page lists the first of them and the CSV every one, so a user
sees what they are undoing before they confirm. The CSV then lists what
the undo keeps, with the reason the page gives, so the file alone tells
why a record it names as set back still holds a value. Both read the records a
kind at a time, never one by one: the page's queries do not grow with the
import, and the CSV holds one chunk of records in memory, not the import.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.models import (
    Account,
    AccountTeamMember,
    ChangeRecord,
    ImportRowChange,
    MappedImport,
    Opportunity,
    Product,
    RevenueLine,
    SupportSignal,
    User,
)
from accounts.undo_keep import UndoKeep
from accounts.wizard import UndoPreview, record_key, record_label, undo_order
from config.spreadsheet import cell_neutralise

# How many records the undo page names; the CSV has them all.
UNDO_SHOWN = 50
# How many records the CSV reads at once.
UNDO_CSV_CHUNK = 1000

DELETED = "deleted"
SET_BACK = "set back"
# A record, or one value of it, the undo leaves alone for work done since.
KEPT = "kept"
# A user the import created goes, or stays deactivated where it is used.
USER_GONE = "deleted or deactivated"

UNDO_CSV_HEADER = ["action", "kind", "record", "key", "field", "value", "reason"]

# What to read with each kind, so naming a record takes no query of its own.
_RELATED: dict[type[models.Model], tuple[str, ...]] = {
    AccountTeamMember: ("user",),
}


@dataclass(frozen=True)
class UndoRecord:
    """One record the undo deletes or sets back, named as people know it."""

    action: str
    kind: str
    name: str
    key: str


def mapped_import_undo_records(
    *, mapped: MappedImport, preview: UndoPreview, limit: int
) -> list[UndoRecord]:
    """Return the first `limit` records the undo would delete or set back.

    Up to `limit` of every kind the preview counts are read, whichever of
    them are shown: so the page reads as many queries for ten records as
    for a million.
    """
    found: list[UndoRecord] = []
    for model, action, ids in _id_lists(mapped=mapped, keep=preview.keep):
        plural = str(model._meta.verbose_name_plural)
        counted = {
            DELETED: preview.deleted.get(plural, 0),
            SET_BACK: preview.restored.get(plural, 0),
            USER_GONE: preview.users,
        }[action]
        if counted:
            found += _named_chunk(model, list(ids[:limit]), action=action)
    return found[:limit]


def mapped_import_undo_csv(*, mapped: MappedImport, keep: UndoKeep) -> Iterator[str]:
    """Yield every record the undo would delete, set back or keep, as CSV text.

    Field, value and reason are filled in only on the rows of what it keeps.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(UNDO_CSV_HEADER)
    for model, action, ids in _id_lists(mapped=mapped, keep=keep):
        after = 0
        # Read a chunk at a time, by the last id seen: a million records
        # never sit in memory together.
        while chunk := list(ids.filter(object_id__gt=after)[:UNDO_CSV_CHUNK]):
            after = chunk[-1]
            # Names quote uploaded cells, which may be formulas.
            writer.writerows(
                [one.action, one.kind, cell_neutralise(one.name), one.key, "", "", ""]
                for one in _named_chunk(model, chunk, action=action)
            )
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    # Already in memory: the page and the API name every one of them too.
    # Their names, values and reasons quote uploaded cells and hand edits.
    writer.writerows(
        [
            KEPT,
            one.kind,
            cell_neutralise(one.record),
            one.key,
            cell_neutralise(one.field),
            cell_neutralise(one.value),
            cell_neutralise("; ".join(one.reasons)),
        ]
        for one in keep.kept
    )
    yield out.getvalue()


def _id_lists(
    *, mapped: MappedImport, keep: UndoKeep
) -> Iterator[tuple[type[models.Model], str, "models.QuerySet[ImportRowChange, int]"]]:
    """Yield each kind's ids the undo deletes, then those it sets back, in order."""
    mine = ImportRowChange.objects.filter(job=mapped.job)
    # As the undo's preview counts: a record the import created and then
    # changed is deleted, not set back.
    made = mine.filter(
        action=ImportRowChange.Action.CREATED,
        content_type=models.OuterRef("content_type"),
        object_id=models.OuterRef("object_id"),
    )
    for model in undo_order():
        # The import's own history stays: the undo adds to it.
        if model is ChangeRecord:
            continue
        content_type = ContentType.objects.get_for_model(model)
        created = (
            mine.filter(
                content_type=content_type, action=ImportRowChange.Action.CREATED
            )
            .exclude(object_id__in=keep.created.get(model, set()))
            .values_list("object_id", flat=True)
            .order_by("object_id")
        )
        yield model, USER_GONE if model is User else DELETED, created
        updated = (
            mine.filter(
                content_type=content_type, action=ImportRowChange.Action.UPDATED
            )
            .exclude(models.Exists(made))
            .values_list("object_id", flat=True)
            .order_by("object_id")
            .distinct()
        )
        yield model, SET_BACK, updated


def _named_chunk(
    model: type[models.Model], ids: list[int], *, action: str
) -> list[UndoRecord]:
    """Name some records of one kind in a fixed number of queries."""
    if not ids:
        return []
    kind = str(model._meta.verbose_name)
    objects = model._default_manager.select_related(*_RELATED.get(model, ())).in_bulk(
        ids
    )
    accounts, products = _names_of(objects.values())
    named = []
    for pk in ids:
        obj = objects.get(pk)
        if obj is None:
            # Deleted by hand since: nothing left to undo but its key.
            name, key = f"{kind} #{pk}", f"{model._meta.label_lower}:{pk}"
        else:
            name = _label(obj, accounts=accounts, products=products)
            key = record_key(obj)
        named.append(UndoRecord(action=action, kind=kind, name=name, key=key))
    return named


def _names_of(
    objects: Iterable[models.Model],
) -> tuple[dict[int, str], dict[int, str]]:
    """Return the names of the accounts and products these records are on."""
    objects = list(objects)
    account_ids = _ids(objects, "account_id")
    product_ids = _ids(objects, "product_id")
    accounts = dict(
        Account.objects.filter(pk__in=account_ids).values_list("pk", "name")
        if account_ids
        else []
    )
    products = dict(
        Product.objects.filter(pk__in=product_ids).values_list("pk", "name")
        if product_ids
        else []
    )
    return accounts, products


def _ids(objects: list[models.Model], attribute: str) -> set[int]:
    found = (getattr(obj, attribute, None) for obj in objects)
    return {pk for pk in found if isinstance(pk, int)}


def _label(
    obj: models.Model, *, accounts: dict[int, str], products: dict[int, str]
) -> str:
    if isinstance(obj, AccountTeamMember):
        user = obj.user
        who = user.display_name if user is not None else "someone"
        return f"account team member {who} on {accounts.get(obj.account_id, '?')}"
    if isinstance(obj, RevenueLine | Opportunity | SupportSignal):
        return record_label(
            obj,
            account_name=lambda pk: accounts.get(pk, f"#{pk}"),
            product_name=lambda pk: products.get(pk, f"#{pk}"),
        )
    return record_label(obj, account_name=str, product_name=str)
