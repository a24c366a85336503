"""Turn a plan's change records into entries people can read.

A record stores codes as the database keeps them ("multi_year",
"2027-01-18"); these helpers show the choice's label and a formatted date,
and fold the one-row-per-field records of a creation into a single entry.
"""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dateformat import format as date_format

from accounts.models import ChangeRecord

ACTION_LABELS = {"create": "Added", "update": "Changed", "delete": "Removed"}


@dataclass
class HistoryChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    """One line of the history: who did what to which item, and when."""

    record: ChangeRecord
    action: str
    changes: list[HistoryChange] = field(default_factory=list)


def _model_field(record: ChangeRecord) -> models.Field | None:
    # ContentType.get_for_id is cached, so a long history costs no queries.
    model = ContentType.objects.get_for_id(record.content_type_id).model_class()
    if model is None or not record.field:
        return None
    try:
        found = model._meta.get_field(record.field)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def history_field_label(record: ChangeRecord) -> str:
    """Return the field's verbose name ("Outcome reason"), else a tidy name."""
    if not record.field:
        return ""
    model_field = _model_field(record)
    label = str(model_field.verbose_name) if model_field else ""
    label = label or record.field.replace("_", " ")
    return label[:1].upper() + label[1:]


def history_value(record: ChangeRecord, text: str) -> str:
    """Return a stored value as the page shows it: a label, a date, yes/no."""
    model_field = _model_field(record)
    if not text or model_field is None:
        return text
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(text, text))
    if isinstance(model_field, models.BooleanField):
        return {"True": "Yes", "False": "No"}.get(text, text)
    if isinstance(model_field, models.DateField) and not isinstance(
        model_field, models.DateTimeField
    ):
        try:
            return date_format(date.fromisoformat(text), "j M Y")
        except ValueError:
            return text
    return text


def history_action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


def _change(record: ChangeRecord) -> HistoryChange:
    return HistoryChange(
        label=history_field_label(record),
        old=history_value(record, record.old_value),
        new=history_value(record, record.new_value),
    )


def history_entries(records: list[ChangeRecord]) -> list[HistoryEntry]:
    """Group the records into entries, newest first, one per creation."""
    entries: list[HistoryEntry] = []
    for record in records:
        last = entries[-1] if entries else None
        if (
            last is not None
            and record.action == "create"
            and last.record.action == "create"
            and last.record.content_type_id == record.content_type_id
            and last.record.object_id == record.object_id
            and last.record.changed_by_id == record.changed_by_id
            and last.record.changed_by_name == record.changed_by_name
        ):
            if record.new_value:
                last.changes.append(_change(record))
            continue
        entry = HistoryEntry(record=record, action=history_action_label(record.action))
        if record.field and (record.action != "create" or record.new_value):
            entry.changes.append(_change(record))
        entries.append(entry)
    for entry in entries:
        if entry.record.action == "create":
            # Records came newest first; show a creation's fields in order.
            entry.changes.reverse()
    return entries
