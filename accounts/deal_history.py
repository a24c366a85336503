"""A deal's history as people read it: labels, names and money, imports too.

The shared history (ChangeRecord) keeps raw values: ids for the product and
the owner, stage keys, amounts without their currency. An import keeps its
own record of what it changed (ImportRowChange: the values it replaced).
This reads both, newest first, and says each value as the deal page does.
An import's record has no "after" value; walking back from the deal as it
is now, each change's "after" is what the next change found, or the
value the deal holds today.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.currency import money_text
from accounts.history import ERASED, history_text
from accounts.models import ChangeRecord, ImportRowChange, Opportunity, Product, User
from accounts.user_removal import USER_DELETED

# How far back the history reads, of each kind of record.
HISTORY_READ = 500
FIELD_LABELS = {
    "external_id": "CRM id",
    "name": "Name",
    "account": "Account",
    "product": "Product",
    "owner": "Owner",
    "stage": "Stage",
    "engaged_on": "Engaged on",
    "closed_on": "Close date",
    "close_value": "Amount",
    "currency": "Currency",
    "custom_values": "CRM fields",
}
# What an import that added the deal set, in the order the form shows.
ADDED_FIELDS = (
    "name",
    "product",
    "stage",
    "close_value",
    "currency",
    "engaged_on",
    "closed_on",
    "owner",
)
ACTION_LABELS = {
    "create": "Added",
    "update": "Changed",
    "delete": "Removed",
    "erase": "Erased",
    "undo": "Set back",
    # The owner was cleared because that user was deleted.
    USER_DELETED: "User deleted",
}
RELATIONS = ("product", "owner", "account")
# An import's change with no "after" of its own yet.
UNKNOWN = None


@dataclass(frozen=True)
class DealHistoryRow:
    changed_at: datetime
    who: str
    # The import that made the change, or whose undo did; None by hand.
    import_job_id: int | None
    action: str
    field: str
    old: str
    new: str


@dataclass
class _Change:
    changed_at: datetime
    # Ties at one moment keep the order the rows were written in, and an
    # import's fields the form's order, newest first.
    order: tuple[int, int, int]
    # Who made it, as the page names them, and their user's id if any.
    who: str
    who_id: int | None
    import_job_id: int | None
    action: str
    field: str
    old: str
    new: str | None


def _field(name: str) -> str:
    bare = name.removesuffix("_id")
    return bare if bare in RELATIONS else name


def _current(deal: Opportunity, field: str) -> str:
    attribute = f"{field}_id" if field in RELATIONS else field
    return history_text(getattr(deal, attribute))


def _recorded(deal: Opportunity) -> list[ChangeRecord]:
    records = ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(Opportunity),
        object_id=deal.pk,
    ).select_related("changed_by")
    return list(records.order_by("-changed_at", "-id")[:HISTORY_READ])


def _imported(deal: Opportunity) -> list[ImportRowChange]:
    rows = ImportRowChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Opportunity),
        object_id=deal.pk,
    ).select_related("job", "job__created_by")
    return list(rows.order_by("-id")[:HISTORY_READ])


def _changes(deal: Opportunity) -> list[_Change]:
    """Return every change read, oldest first, an import's "after" unknown."""
    records, imported = _recorded(deal), _imported(deal)
    changes = [
        _Change(
            changed_at=record.changed_at,
            order=(1, record.pk, 0),
            who=record.changed_by_label,
            who_id=record.changed_by_id,
            import_job_id=record.import_job_id,
            action=record.action,
            field=_field(record.field),
            old=record.old_value,
            new=record.new_value,
        )
        for record in records
    ]
    for row in imported:
        job = row.job
        moment = job.finished_at or job.updated_at
        if row.action == ImportRowChange.Action.CREATED:
            fields: dict[str, Any] = {"external_id": "", **dict.fromkeys(ADDED_FIELDS)}
            values = {name: "" for name in fields}
            action = "create"
        else:
            values = {
                _field(name): history_text(old)
                for name, old in sorted(row.old_values.items())
            }
            action = "update"
        changes += [
            _Change(
                changed_at=moment,
                order=(0, row.pk, -place),
                who=job.created_by_label,
                who_id=job.created_by_id,
                import_job_id=job.pk,
                action=action,
                field=field,
                old=old,
                new=deal.external_id if field == "external_id" else UNKNOWN,
            )
            for place, (field, old) in enumerate(values.items())
        ]
    # Read HISTORY_READ of each: where one kind was cut short, the other's
    # older changes cannot be placed among its changes, so they go too.
    cutoffs = []
    if len(records) == HISTORY_READ:
        cutoffs.append(records[-1].changed_at)
    if len(imported) == HISTORY_READ:
        cutoffs.append(imported[-1].job.finished_at or imported[-1].job.updated_at)
    if cutoffs:
        changes = [change for change in changes if change.changed_at >= max(cutoffs)]
    return sorted(changes, key=lambda change: (change.changed_at, change.order))


def _money(text: str, currency: str) -> str:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return text
    return money_text(amount, currency)


def _day(text: str) -> str:
    try:
        return date_format(date.fromisoformat(text), "j M Y")
    except ValueError:
        return text


class _Names:
    """The products and people the history names, read once for all of it."""

    def __init__(
        self, changes: list[_Change], *, deleted_owners: dict[str, str]
    ) -> None:
        self.deleted_owners = deleted_owners
        wanted: dict[str, set[int]] = {"product": set(), "owner": set()}
        for change in changes:
            if change.field in wanted:
                wanted[change.field].update(
                    int(value)
                    for value in (change.old, change.new)
                    if value and value.isdigit()
                )
        self.products = dict(
            Product.objects.filter(pk__in=wanted["product"]).values_list("pk", "name")
        )
        self.people = {
            user.pk: user.display_name
            for user in User.objects.filter(pk__in=wanted["owner"])
        }

    def said(self, field: str, text: str, currency: str) -> str:
        """Return a stored value as the page says it."""
        if not text or text == ERASED:
            return text
        if field == "product":
            return self.products.get(int(text), f"a removed product (#{text})")
        if field == "owner" and not text.isdigit():
            # A deleted user's name, as the deletion recorded it.
            return text
        if field == "owner" and text in self.deleted_owners:
            return self.deleted_owners[text]
        if field == "owner":
            return self.people.get(int(text), f"a deleted user (#{text})")
        if field == "stage":
            return str(dict(Opportunity.Stage.choices).get(text, text))
        if field == "close_value":
            return _money(text, currency)
        if field in ("engaged_on", "closed_on"):
            return _day(text)
        return text


def _same_save(one: _Change, two: _Change) -> bool:
    """Say if two changes were written by one save: one form, one import row."""
    return (
        one.action == two.action
        and one.import_job_id == two.import_job_id
        and (one.who_id, one.who) == (two.who_id, two.who)
        and abs((one.changed_at - two.changed_at).total_seconds()) < 1
    )


def deal_history(*, deal: Opportunity, limit: int) -> list[DealHistoryRow]:
    """Return the deal's latest changes, newest first, as people read them."""
    changes = _changes(deal)
    # Walk back from the deal as it is: before each change, a field held
    # that change's old value, and after it what the next change found.
    state = {field: _current(deal, field) for field in FIELD_LABELS}
    currency_after: dict[int, str] = {}
    # A deleted owner's id, named by the record their deletion left.
    deleted_owners: dict[str, str] = {}
    for change in reversed(changes):
        currency_after[id(change)] = state["currency"]
        if change.new is UNKNOWN:
            change.new = state.get(change.field, "")
        elif change.field == "owner" and change.new.isdigit():
            after = state["owner"]
            if after and not after.isdigit():
                deleted_owners.setdefault(change.new, after)
        state[change.field] = change.old
    names = _Names(changes, deleted_owners=deleted_owners)

    rows: list[DealHistoryRow] = []
    newest_first = list(reversed(changes))
    for place, change in enumerate(newest_first):
        if len(rows) == limit:
            break
        if change.action == "create" and not change.new:
            continue
        before = after = currency_after[id(change)]
        if change.field == "close_value":
            # An amount is in the currency of its moment: one save may
            # change both, so each side takes that save's currency.
            nearby = newest_first[max(0, place - 20) : place + 20]
            sibling = next(
                (
                    other
                    for other in nearby
                    if other.field == "currency" and _same_save(other, change)
                ),
                None,
            )
            if sibling is not None:
                before, after = sibling.old or sibling.new or "", sibling.new or ""
        rows.append(
            DealHistoryRow(
                changed_at=timezone.localtime(change.changed_at),
                who=change.who,
                import_job_id=change.import_job_id,
                action=ACTION_LABELS.get(change.action, change.action.capitalize()),
                field=FIELD_LABELS.get(change.field, change.field.replace("_", " ")),
                old=names.said(change.field, change.old, before),
                new=names.said(change.field, change.new or "", after),
            )
        )
    return rows
