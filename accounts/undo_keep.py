"""What undoing an import leaves alone: the work done in Lode since.

An import can be undone as a whole, but not at the cost of what people did
after it. A record the import created is kept when someone has worked on it
since (logged a meeting with the person, added a person by hand at the
account, started a plan there, edited it), and so is every record the import
created that a kept one needs, and the place on an account's team it gave
a user who has worked there since, without which they could not open that
work. A value the import changed is left as it is when someone has edited
that field by hand since: read from the shared history (accounts.history),
field by field, for the models that record every hand edit there, and from
a later `updated_at` for the rest. Everything else is deleted or restored
exactly as before.

Work is found through the relations Django knows, so accounts never imports
the apps that sit on it; a model whose rows a score run remakes says so with
`import_undo_ignores`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import (
    Account,
    AccountTeamMember,
    ChangeRecord,
    ImportJob,
    ImportRowChange,
    Product,
    User,
)
from accounts.user_removal import USER_DELETED

# How many later rows per relation are read to explain a kept record.
_SAMPLE = 200
# How many reasons one kept record names before "and N more".
_SHOWN = 3

Key = tuple[type[models.Model], int]


@dataclass(frozen=True)
class Kept:
    """One record, or one value of a record, an undo leaves alone, and why."""

    kind: str
    record: str
    # The field and the value it keeps; both empty when the whole record is.
    field: str
    value: str
    reasons: list[str]
    # app.model:id, as the undo's list of records gives each record.
    key: str

    @property
    def note(self) -> str:
        """Say it in one sentence: "person Rosa Vidal kept: a meeting was …"."""
        if self.field:
            said = f"{self.field} “{self.value}” kept on {self.record}"
        else:
            said = f"{self.record} kept"
        return f"{said}: {'; '.join(self.reasons)}."


@dataclass
class UndoKeep:
    """Records and values an undo leaves alone, and why, in words."""

    created: dict[type[models.Model], set[int]] = field(default_factory=dict)
    fields: dict[Key, set[str]] = field(default_factory=dict)
    kept: list[Kept] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        return [one.note for one in self.kept]

    def keeps(self, model: type[models.Model], pk: int, name: str) -> bool:
        """Return whether the undo leaves this field of this object as it is.

        Fields a model names in `edits_together` (an amount and its
        currency) are kept all together once any one was edited.
        """
        edited = self.fields.get((model, pk), set())
        name = _canonical(model, name)
        for group in getattr(model, "edits_together", ()):
            if name in group:
                return not edited.isdisjoint(group)
        return name in edited


def day(moment: datetime) -> str:
    """Return a moment as the day a reader sees it: "5 Dec 2026"."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "j M Y")


def undo_keep_find(
    *, job: ImportJob, order: tuple[type[models.Model], ...]
) -> UndoKeep:
    """Return what undoing `job` must leave alone, looking at work since it."""
    mine = ImportRowChange.objects.filter(job=job)
    own_history = mine.filter(
        content_type=_type(ChangeRecord), action=ImportRowChange.Action.CREATED
    ).values("object_id")
    # A deal deleted by hand is gone: nothing of it is left to keep. An
    # owner cleared with their user was not edited by anyone.
    hand_edits = (
        ChangeRecord.objects.filter(
            import_job__isnull=True, changed_at__gte=job.created_at
        )
        .exclude(pk__in=own_history)
        .exclude(action__in=["delete", USER_DELETED])
    )
    since = job.finished_at or job.created_at
    reasons: dict[Key, list[str]] = defaultdict(list)
    keep = UndoKeep()

    candidates = [model for model in order if model not in (User, ChangeRecord)]
    for model in candidates:
        created = mine.filter(
            content_type=_type(model), action=ImportRowChange.Action.CREATED
        ).values("object_id")
        if not created.exists():
            continue
        for relation in model._meta.related_objects:
            _later_rows(model, relation, created, mine, order, reasons)
        _edits(model, hand_edits.filter(content_type=_type(model)), created, reasons)
        if _stamps_only(model):
            for pk, moment in _stamped(model, created, since, job):
                if (model, pk) not in reasons:
                    reasons[(model, pk)].append(f"it was edited on {day(moment)}")

    # Work done after the job wrote is what relies on the access it gave.
    places = _places_at_work(mine, hand_edits.filter(changed_at__gte=since))
    for member, why in places.items():
        reasons[(AccountTeamMember, member.pk)].append(why)
    _needed(reasons, mine, order)
    objects = _load(reasons)
    labels = _labels(objects.values())
    for (model, pk), said in reasons.items():
        keep.created.setdefault(model, set()).add(pk)
        obj = objects.get((model, pk))
        if isinstance(obj, AccountTeamMember):
            label = _place(obj)
        elif obj is None:
            label = f"{model._meta.verbose_name} {pk}"
        else:
            label = labels[obj]
        keep.kept.append(
            Kept(
                kind=str(model._meta.verbose_name),
                record=label,
                field="",
                value="",
                reasons=_shown_reasons(said),
                key=_key(model, pk),
            )
        )

    # A value the job replaced is kept only if edited after the job wrote,
    # not after it was uploaded: an edit made while it waited to start is
    # the value it replaced, which the undo puts back. The job held its
    # rows locked until it finished.
    after_write = hand_edits.filter(changed_at__gte=since)
    for model in candidates:
        stamps = _stamps_only(model)
        _values_edited(model, mine, after_write, since if stamps else None, keep, job)
    return keep


def _places_at_work(
    mine: models.QuerySet, hand_edits: models.QuerySet[ChangeRecord]
) -> dict[AccountTeamMember, str]:
    """Return the team places the job gave to users who then worked there.

    A rep sees an account only through its team: deleting the place the
    import gave them would lock them out of the deals, people and plans
    they added there since, on an account the undo keeps for that work.
    """
    made = mine.filter(
        content_type=_type(AccountTeamMember), action=ImportRowChange.Action.CREATED
    ).values("object_id")
    work = hand_edits.filter(
        account_id=models.OuterRef("account_id"),
        changed_by_id=models.OuterRef("user_id"),
    )
    members = (
        AccountTeamMember.objects.filter(pk__in=made)
        .filter(models.Exists(work))
        .select_related("user", "account")
        .order_by("pk")
    )
    found: dict[AccountTeamMember, str] = {}
    for member in members:
        records = hand_edits.filter(
            account_id=member.account_id, changed_by_id=member.user_id
        ).order_by("changed_at", "pk")
        kinds: list[str] = []
        last = None
        for content_type_id, changed_at in records.values_list(
            "content_type_id", "changed_at"
        ):
            kind = _kind_named(content_type_id)
            if kind not in kinds:
                kinds.append(kind)
            last = changed_at
        assert last is not None  # the member has work there: Exists above
        who = member.user.display_name
        them = "it" if len(kinds) == 1 else "them"
        found[member] = (
            f"{who} added or edited {_listed(kinds)} there by hand, last on "
            f"{day(last)}, and would lose access to {them} without it"
        )
    return found


def _kind_named(content_type_id: int) -> str:
    """Return what a record of this kind is called: "a person", "the account"."""
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None:
        return "a record"
    if model._meta.model_name == "account":
        return "the account"
    return _article(str(model._meta.verbose_name))


def _listed(words: list[str]) -> str:
    """Return "a, b and c"."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _place(member: AccountTeamMember) -> str:
    return f"{member.user.display_name}'s place on the {member.account} team"


def _key(model: type[models.Model], pk: int) -> str:
    return f"{model._meta.label_lower}:{pk}"


def _type(model: type[models.Model]) -> ContentType:
    return ContentType.objects.get_for_model(model)


def _canonical(model: type[models.Model], name: str) -> str:
    """Return a field's name, given it or its column ("owner_id" → "owner")."""
    for one in model._meta.concrete_fields:
        if name in (one.name, one.attname):
            return one.name
    return name


def _stamps_only(model: type[models.Model]) -> bool:
    """Say if only a later updated_at can tell a hand edit of this model.

    A model whose every hand edit goes to the shared history, field by
    field, says so with `edits_in_history`: its undo keeps just the fields
    edited since, and sets the others back.
    """
    if getattr(model, "edits_in_history", False):
        return False
    return any(f.name == "updated_at" for f in model._meta.concrete_fields)


def _stamped(
    model: type[models.Model], ids: Any, since: datetime, job: ImportJob
) -> list[tuple[int, datetime]]:
    """Return the records updated since the import, by hand as far as known.

    Another import that wrote the row and was undone since touched it too;
    its undo, not a person, explains an update at or before that undo. It
    wrote after the job: one that wrote before could not be undone since.
    """
    undone_later = ImportRowChange.objects.exclude(job=job).filter(
        content_type=_type(model),
        object_id=models.OuterRef("pk"),
        job__mapped__undone_at__gte=models.OuterRef("updated_at"),
    )
    return list(
        model._default_manager.filter(pk__in=ids, updated_at__gt=since)
        .exclude(models.Exists(undone_later))
        .values_list("pk", "updated_at")
    )


def _shown_reasons(said: list[str]) -> list[str]:
    if len(said) > _SHOWN:
        return [*said[:_SHOWN], f"and {len(said) - _SHOWN} more"]
    return said


def _later_rows(
    model: type[models.Model],
    relation: Any,
    created: models.QuerySet,
    mine: models.QuerySet,
    order: tuple[type[models.Model], ...],
    reasons: dict[Key, list[str]],
) -> None:
    """Note the rows on another model that point at records the job made."""
    related = relation.related_model
    if related is ChangeRecord or getattr(related, "import_undo_ignores", False):
        return
    name = relation.field.name
    rows = related._default_manager.filter(**{f"{name}__in": created})
    by_hand = related in order
    if by_hand:
        # Rows this job wrote itself are its own data, not later work;
        # rows a later import wrote already refuse the undo.
        rows = rows.exclude(
            pk__in=mine.filter(content_type=_type(related)).values("object_id")
        )
    pairs = list(rows.order_by("pk").values_list(name, "pk")[:_SAMPLE])
    if not pairs:
        return

    found = related._default_manager.in_bulk({pk for _, pk in pairs})
    for parent, pk in pairs:
        row = found.get(pk)
        if row is not None:
            reasons[(model, parent)].append(_work(row, by_hand=by_hand))


def _work(row: models.Model, *, by_hand: bool) -> str:
    """Return one later piece of work in words: "a meeting was logged on …"."""
    phrase = getattr(row, "later_work_phrase", None)
    if callable(phrase):
        return str(phrase())
    name = str(row._meta.verbose_name)
    text = f"{row} was added by hand" if by_hand else f"{_article(name)} was added"
    when = getattr(row, "created_at", None)
    return f"{text} on {day(when)}" if isinstance(when, datetime) else text


def _article(name: str) -> str:
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _edits(
    model: type[models.Model],
    records: models.QuerySet[ChangeRecord],
    ids: models.QuerySet,
    reasons: dict[Key, list[str]],
) -> None:
    """Note the hand edits the shared history holds for records the job made."""
    edited: dict[int, dict[str, ChangeRecord]] = defaultdict(dict)
    for record in (
        records.filter(object_id__in=ids)
        .select_related("changed_by")
        .order_by("changed_at", "pk")
    ):
        edited[record.object_id][_canonical(model, record.field)] = record
    for pk, by_field in edited.items():
        last = max(by_field.values(), key=lambda record: (record.changed_at, record.pk))
        # "Its employees was edited" reads wrong: naming the field as a
        # field keeps the verb agreeing whatever the field's label is.
        names = _listed([_field_label(model, name) for name in by_field])
        fields = "field was" if len(by_field) == 1 else "fields were"
        reasons[(model, pk)].append(
            f"its {names} {fields} edited by {_who(last)} on {day(last.changed_at)}"
        )


def _who(record: ChangeRecord) -> str:
    return record.changed_by_label or "someone"


def _field_label(model: type[models.Model], name: str) -> str:
    name = _canonical(model, name)
    for one in model._meta.concrete_fields:
        if one.name == name:
            return str(one.verbose_name)
    return name.replace("_", " ")


def _needed(
    reasons: dict[Key, list[str]],
    mine: models.QuerySet,
    order: tuple[type[models.Model], ...],
) -> None:
    """Keep the records the job made that a kept record points at."""
    queue = list(reasons)
    while queue:
        model, pk = queue.pop(0)
        obj = model._default_manager.filter(pk=pk).first()
        if obj is None:
            continue
        for one in model._meta.concrete_fields:
            parent = one.related_model
            if not one.many_to_one or parent not in order or parent is User:
                continue
            value = getattr(obj, one.attname)
            if value is None or (parent, value) in reasons:
                continue
            made = mine.filter(
                content_type=_type(parent),
                action=ImportRowChange.Action.CREATED,
                object_id=value,
            )
            if made.exists():
                reasons[(parent, value)].append(
                    f"it is the {one.verbose_name} of {_labels([obj])[obj]}, "
                    "which is kept"
                )
                queue.append((parent, value))


def _labels(objects: Iterable[models.Model]) -> dict[models.Model, str]:
    """Name records as the undo's list of records does: "deal 0065 of Acme"."""
    # accounts.wizard reads this module as it loads: its namer is read late.
    from accounts.wizard import record_label

    objects = list(objects)
    names: dict[tuple[type[models.Model], int], str] = {}
    for attribute, model in (("account_id", Account), ("product_id", Product)):
        ids = {getattr(obj, attribute, None) for obj in objects} - {None}
        for pk, name in model._default_manager.filter(pk__in=ids).values_list(
            "pk", "name"
        ):
            names[(model, pk)] = name
    return {
        obj: record_label(
            obj,
            account_name=lambda pk: names.get((Account, pk), f"#{pk}"),
            product_name=lambda pk: names.get((Product, pk), f"#{pk}"),
        )
        for obj in objects
    }


def _load(keys: Any) -> dict[Key, models.Model]:
    wanted: dict[type[models.Model], set[int]] = defaultdict(set)
    for model, pk in keys:
        wanted[model].add(pk)
    return {
        (model, pk): obj
        for model, pks in wanted.items()
        for pk, obj in model._default_manager.in_bulk(pks).items()
    }


def _values_edited(
    model: type[models.Model],
    mine: models.QuerySet,
    hand_edits: models.QuerySet[ChangeRecord],
    since: datetime | None,
    keep: UndoKeep,
    job: ImportJob,
) -> None:
    """Leave the values the job changed that someone has edited by hand since."""
    changes = {
        change.object_id: change
        for change in mine.filter(
            content_type=_type(model), action=ImportRowChange.Action.UPDATED
        ).order_by("pk")
    }
    if not changes:
        return

    records = (
        hand_edits.filter(content_type=_type(model), object_id__in=list(changes))
        .select_related("changed_by")
        .order_by("changed_at", "pk")
    )
    last: dict[tuple[int, str], ChangeRecord] = {}
    for record in records:
        last[(record.object_id, _canonical(model, record.field))] = record
    stamped: dict[int, datetime] = {}
    if since is not None:
        stamped = dict(_stamped(model, list(changes), since, job))
    objects = model._default_manager.in_bulk(list(changes))
    labels = _labels(objects.values())
    for pk, change in changes.items():
        obj = objects.get(pk)
        if obj is None:
            continue
        for name in change.old_values:
            edit = last.get((pk, _canonical(model, name)))
            if edit is not None:
                why = f"edited by {_who(edit)} on {day(edit.changed_at)}"
            elif pk in stamped:
                why = f"the record was edited on {day(stamped[pk])}"
            else:
                continue
            keep.fields.setdefault((model, pk), set()).add(_canonical(model, name))
            keep.kept.append(
                Kept(
                    kind=str(model._meta.verbose_name),
                    record=labels[obj],
                    field=_field_label(model, name),
                    value=_shown(obj, name),
                    reasons=[why],
                    key=_key(model, pk),
                )
            )


def _shown(obj: models.Model, name: str) -> str:
    """Return a field's value as the page shows it: a related record's name."""
    value = getattr(obj, _canonical(type(obj), name))
    return "" if value is None else str(value)
