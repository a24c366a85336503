"""Writes for people, links, activities and expected roles.

Every change goes through accounts.history, so the account keeps one record
of who changed what, and erasure can scrub a person from all of it.
"""

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.http import HttpRequest
from django.utils import timezone

from accounts.directory import InUseError, in_use_message
from accounts.history import (
    ERASED,
    change_record_many,
    change_records_erase,
    model_changes,
)
from accounts.import_erasure import import_jobs_values_erase
from accounts.models import Account, AuditEvent, ChangeRecord, ImportRowChange, User
from accounts.selectors import account_list_for_user
from config.api import instance_save_if_unchanged
from config.security import audit_event, audit_events_save, audit_record
from stakeholders.graph import reporting_chain
from stakeholders.models import (
    AccountExpectedRole,
    Activity,
    BuyingRole,
    InfluenceLink,
    SectorRoleDefault,
    Stakeholder,
)
from stakeholders.selectors import account_expected_roles_map
from stakeholders.seniority import seniority_from_title
from stakeholders.signals import stakeholder_erased

logger = logging.getLogger(__name__)

# Fields a person's form or API may set directly; roles go separately.
STAKEHOLDER_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "department",
    "seniority",
    "email",
    "phone",
    "source",
    "external_id",
    "reports_to",
    "sentiment",
    "sentiment_confirmed",
    "influence",
    "influence_confirmed",
    "goals",
    "personal_wins",
    "kpis",
    "concerns",
    "action_plan",
    "owner",
    "relationship_current",
    "relationship_desired",
)


class StakeholderError(Exception):
    """A change to people or links that the rules refuse, with a reason."""

    def __init__(
        self,
        message: str,
        field: str = "",
        reason: str = "",
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # The message without the field's label in front, for a report or a
        # form that names the field itself.
        self.reason = reason or message
        # Every field's reasons, when the refusal is about several.
        self.errors = dict(errors or {})


# The database's name for the rule that a person's ID is their own.
PERSON_ID_CONSTRAINT = "unique_person_external_id_per_account"

# The one answer for a person id that is unknown, hidden from the user or at
# another account: a different answer would tell who exists elsewhere.
NO_SUCH_PERSON = "No such person on this account."


class StakeholderConflict(StakeholderError):
    """Someone else saved the person since the caller read them."""


def _raise_from(error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        every = {
            ("non_field_errors" if name == NON_FIELD_ERRORS else name): texts
            for name, texts in error.message_dict.items()
        }
        field, errors = next(iter(error.error_dict.items()))
        if field == NON_FIELD_ERRORS:
            raise StakeholderError(errors[0].messages[0], errors=every) from error
        reason = errors[0].messages[0]
        raise StakeholderError(
            f"{_field_label(field)}: {reason}",
            field=field,
            reason=reason,
            errors=every,
        ) from error
    raise StakeholderError(error.messages[0]) from error


def _field_label(name: str) -> str:
    """Return a person field's name as people read it ("Last name")."""
    return Stakeholder.field_label(name)


def _check_reports_to(*, stakeholder: Stakeholder, manager: Stakeholder | None) -> None:
    if manager is None:
        return
    if manager.account_id != stakeholder.account_id:
        raise StakeholderError(NO_SUCH_PERSON, field="reports_to")
    if stakeholder.pk is None:
        return

    managers = dict(
        Stakeholder.objects.filter(account_id=stakeholder.account_id).values_list(
            "id", "reports_to_id"
        )
    )
    loop = reporting_chain(
        managers=managers, person=stakeholder.pk, new_manager=manager.pk
    )
    if loop is None:
        return

    names = dict(
        (person.pk, person.name)
        for person in Stakeholder.objects.filter(pk__in=set(loop))
    )
    if len(loop) == 2:
        raise StakeholderError(
            f"{names[loop[0]]} cannot report to themselves.", field="reports_to"
        )
    path = " → ".join(names[pk] for pk in loop)
    raise StakeholderError(
        f"That reporting line would make a loop: {path}.", field="reports_to"
    )


def _check_owner(*, account: Account, owner: User | None) -> None:
    if owner is None:
        return
    if not account.team_memberships.filter(user=owner).exists():
        # Unnamed: any user id may be sent, and the name is not theirs to learn.
        raise StakeholderError(
            "That user is not on this account's team.", field="owner"
        )


def _check_external_id(
    *, user: User | None, stakeholder: Stakeholder, data: Mapping[str, Any]
) -> None:
    """Refuse an ID that another person the user can see already has.

    An import matches a person by their ID across every account, so an ID
    held twice would leave it to pick one. People the user cannot see are
    not asked about: an answer that differed would tell them that someone
    at another team's account has this ID. Should two such people share an
    ID all the same, the import refuses the rows that give it.
    """
    external_id = (data.get("external_id") or "").strip()
    if not external_id or external_id == stakeholder.external_id:
        return

    others = Stakeholder.objects.exclude(status=Stakeholder.Status.ERASED).filter(
        external_id=external_id
    )
    if stakeholder.pk is not None:
        others = others.exclude(pk=stakeholder.pk)
    if user is not None:
        others = others.filter(account__in=account_list_for_user(user=user))
    other = others.select_related("account").order_by("pk").first()
    if other is not None:
        raise _external_id_taken(other=other, external_id=external_id)


def _external_id_taken(*, other: Stakeholder, external_id: str) -> StakeholderError:
    reason = (
        f"{other.name} at {other.account.name} already has the ID {external_id}; "
        "each person's ID is their own."
    )
    return StakeholderError(f"Person ID: {reason}", field="external_id", reason=reason)


def _apply(
    stakeholder: Stakeholder, data: Mapping[str, Any], *, now: datetime
) -> dict[str, tuple[Any, Any]]:
    unknown = set(data) - set(STAKEHOLDER_FIELDS)
    if unknown:
        raise StakeholderError(f"Unknown fields: {', '.join(sorted(unknown))}.")

    values = dict(data)
    # Follow a new title only while the seniority is still the derived one.
    if (
        "title" in values
        and "seniority" not in values
        and stakeholder.seniority in ("", seniority_from_title(stakeholder.title))
    ):
        values["seniority"] = ""
    if values.get("seniority", stakeholder.seniority) == "":
        values["seniority"] = seniority_from_title(
            values.get("title", stakeholder.title)
        )

    for rating in ("sentiment", "influence"):
        confirmed = values.get(
            f"{rating}_confirmed", getattr(stakeholder, f"{rating}_confirmed")
        )
        rating_changed = rating in values and values[rating] != getattr(
            stakeholder, rating
        )
        newly_confirmed = confirmed and not getattr(stakeholder, f"{rating}_confirmed")
        if confirmed and (rating_changed or newly_confirmed or stakeholder.pk is None):
            values[f"{rating}_confirmed_at"] = now

    changes = model_changes(stakeholder, values)
    for field, value in values.items():
        setattr(stakeholder, field, value)
    return changes


def _save(stakeholder: Stakeholder) -> None:
    try:
        stakeholder.full_clean()
    except ValidationError as error:
        _raise_from(error)
    try:
        # A savepoint: the caller's transaction outlives a refused save.
        with transaction.atomic():
            stakeholder.save()
    except IntegrityError as error:
        # Another save took this ID at the account after our check read
        # it (PERSON_ID_CONSTRAINT): the database waited for that save to
        # commit, so it is there to name now.
        if not stakeholder.external_id:
            raise
        other = (
            Stakeholder.objects.select_related("account")
            .filter(account_id=stakeholder.account_id)
            .filter(external_id=stakeholder.external_id)
            .exclude(status=Stakeholder.Status.ERASED)
            .exclude(pk=stakeholder.pk)
            .order_by("pk")
            .first()
        )
        if other is None:
            raise
        raise _external_id_taken(
            other=other, external_id=stakeholder.external_id
        ) from error


def _role_keys(roles: Iterable[BuyingRole]) -> str:
    return ", ".join(sorted(role.key for role in roles))


@transaction.atomic
def stakeholder_create(
    *,
    user: User | None,
    account: Account,
    data: Mapping[str, Any],
    roles: Iterable[BuyingRole] = (),
) -> Stakeholder:
    stakeholder = Stakeholder(account=account)
    if not (data.get("first_name") or data.get("last_name")):
        raise StakeholderError("A person needs a first or last name.", "last_name")
    _check_owner(account=account, owner=data.get("owner"))
    _check_reports_to(stakeholder=stakeholder, manager=data.get("reports_to"))
    _check_external_id(user=user, stakeholder=stakeholder, data=data)

    changes = _apply(stakeholder, data, now=timezone.now())
    _save(stakeholder)
    roles = list(roles)
    stakeholder.roles.set(roles)

    if roles:
        changes["roles"] = ("", _role_keys(roles))
    change_record_many(
        user=user,
        account=account,
        target=stakeholder,
        changes={field: (None, new) for field, (_, new) in changes.items()},
        action="create",
    )
    logger.debug("stakeholder %s created on account %s", stakeholder.pk, account.pk)
    return stakeholder


@transaction.atomic
def stakeholder_update(
    *,
    user: User | None,
    stakeholder: Stakeholder,
    data: Mapping[str, Any],
    roles: Iterable[BuyingRole] | None = None,
    expected_version: datetime | None = None,
) -> Stakeholder:
    """Change a person; with expected_version, only if no one else has since."""
    if expected_version is not None:
        # The row lock makes check-then-save atomic between two editors.
        current = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
        if current.updated_at != expected_version:
            raise StakeholderConflict(
                f"Someone changed {current.name} since you opened it; reload "
                "to see their change, then apply yours."
            )
    if stakeholder.status == Stakeholder.Status.ERASED:
        raise StakeholderError("This person was erased and cannot be edited.")
    if "owner" in data:
        _check_owner(account=stakeholder.account, owner=data["owner"])
    if "reports_to" in data:
        _check_reports_to(stakeholder=stakeholder, manager=data["reports_to"])
    _check_external_id(user=user, stakeholder=stakeholder, data=data)

    changes = _apply(stakeholder, data, now=timezone.now())
    if not (stakeholder.first_name or stakeholder.last_name):
        raise StakeholderError("A person needs a first or last name.", "last_name")
    _save(stakeholder)

    if roles is not None:
        roles = list(roles)
        old = _role_keys(stakeholder.roles.all())
        stakeholder.roles.set(roles)
        if old != _role_keys(roles):
            changes["roles"] = (old, _role_keys(roles))
    change_record_many(
        user=user, account=stakeholder.account, target=stakeholder, changes=changes
    )
    return stakeholder


@transaction.atomic
def stakeholder_mark_left(
    *, user: User | None, stakeholder: Stakeholder
) -> Stakeholder:
    """Mark a person as gone from the account; keep them and their history."""
    if stakeholder.status != Stakeholder.Status.ACTIVE:
        raise StakeholderError(f"{stakeholder.name} is not active at the account.")

    now = timezone.now()
    change_record_many(
        user=user,
        account=stakeholder.account,
        target=stakeholder,
        changes={"status": (stakeholder.status, Stakeholder.Status.LEFT)},
    )
    stakeholder.status = Stakeholder.Status.LEFT
    stakeholder.left_at = now
    # People who reported to them now report to no one we know of.
    stakeholder.direct_reports.update(reports_to=None)
    stakeholder.save(update_fields=["status", "left_at", "updated_at"])
    return stakeholder


@transaction.atomic
def stakeholder_mark_back(
    *, user: User | None, stakeholder: Stakeholder
) -> Stakeholder:
    """Undo a leaving: the person is active at the account again."""
    if stakeholder.status != Stakeholder.Status.LEFT:
        raise StakeholderError(f"{stakeholder.name} has not left the account.")

    change_record_many(
        user=user,
        account=stakeholder.account,
        target=stakeholder,
        changes={"status": (stakeholder.status, Stakeholder.Status.ACTIVE)},
    )
    stakeholder.status = Stakeholder.Status.ACTIVE
    stakeholder.left_at = None
    stakeholder.save(update_fields=["status", "left_at", "updated_at"])
    return stakeholder


@transaction.atomic
def stakeholder_erase(
    *,
    user: User | None,
    stakeholder: Stakeholder,
    request: HttpRequest | None = None,
) -> Stakeholder:
    """Remove a person's personal fields everywhere they were stored.

    The row, its links and its history stay, so the account's counts and
    audit trail hold, but no name, contact detail or note about the person
    remains: not on the row, not in the shared history, not in link or
    activity notes.
    """
    personal = {
        field: getattr(stakeholder, field) for field in Stakeholder.PERSONAL_FIELDS
    }
    full_name = f"{stakeholder.first_name} {stakeholder.last_name}".strip()
    # What other rows may quote: names, contact details, the notes. The
    # title is left out on purpose, as "CFO" in someone else's history is
    # not about this person; the person's own history loses it below.
    quoted = [
        full_name,
        *(personal[field] for field in Stakeholder.PERSONAL_FIELDS if field != "title"),
        *(str(value) for value in stakeholder.custom_values.values()),
    ]
    # Longest first, so the full name goes before its parts.
    values = sorted(
        {value for value in quoted if len(value) >= 3}, key=len, reverse=True
    )

    for field in Stakeholder.PERSONAL_FIELDS:
        setattr(stakeholder, field, "")
    # A CRM's own fields may say anything about the person.
    stakeholder.custom_values = {}
    stakeholder.status = Stakeholder.Status.ERASED
    stakeholder.erased_at = timezone.now()
    stakeholder.sentiment_confirmed_at = None
    stakeholder.influence_confirmed_at = None
    stakeholder.save()

    change_records_erase(
        target=stakeholder, fields=(*Stakeholder.PERSONAL_FIELDS, "custom_values")
    )
    _import_changes_erase(stakeholder=stakeholder)
    import_jobs = import_jobs_values_erase(
        person=stakeholder,
        values=values,
        names=[personal["first_name"], personal["last_name"], personal["title"]],
    )
    account_records = ChangeRecord.objects.filter(account=stakeholder.account)
    links = InfluenceLink.objects.filter(Q(source=stakeholder) | Q(target=stakeholder))
    activities = Activity.objects.filter(account=stakeholder.account)
    colleagues = Stakeholder.objects.filter(account=stakeholder.account)
    # Anything else that quoted the person: colleagues' notes, the shared
    # history, link and activity notes.
    for value in values:
        for column in ("goals", "personal_wins", "kpis", "concerns", "action_plan"):
            colleagues.filter(**{f"{column}__contains": value}).update(
                **{column: Replace(column, Value(value), Value(ERASED))}
            )
        for column in ("old_value", "new_value", "object_label"):
            account_records.filter(**{f"{column}__contains": value}).update(
                **{column: Replace(column, Value(value), Value(ERASED))}
            )
        links.filter(note__contains=value).update(
            note=Replace("note", Value(value), Value(ERASED))
        )
        activities.filter(note__contains=value).update(
            note=Replace("note", Value(value), Value(ERASED))
        )

    change_record_many(
        user=user,
        account=stakeholder.account,
        target=stakeholder,
        changes={"status": ("", Stakeholder.Status.ERASED)},
        action="erase",
    )
    # Other apps (plans: snapshots, reviews) scrub what they quoted.
    stakeholder_erased.send(
        sender=Stakeholder, stakeholder=stakeholder, erased_values=values
    )
    # Recorded after the scrub, so the audit row names the erased row and
    # never the personal data that went.
    audit_record(
        actor=user,
        action=AuditEvent.Action.ERASURE,
        target=stakeholder,
        request=request,
        detail={"account": stakeholder.account_id, "import_jobs": import_jobs},
    )
    logger.info("stakeholder %s erased", stakeholder.pk)
    return stakeholder


def _import_changes_erase(*, stakeholder: Stakeholder) -> None:
    """Drop the personal values an import kept for its undo.

    An undo then leaves the erased fields blank rather than bring them back.
    """
    changes = ImportRowChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Stakeholder),
        object_id=stakeholder.pk,
        action=ImportRowChange.Action.UPDATED,
    )
    for change in changes:
        kept = {
            name: value
            for name, value in change.old_values.items()
            if name not in Stakeholder.PERSONAL_FIELDS and name != "custom_values"
        }
        if kept != change.old_values:
            change.old_values = kept
            change.save(update_fields=["old_values"])


def _check_link(*, source: Stakeholder, target: Stakeholder) -> None:
    if source.pk == target.pk:
        raise StakeholderError("A link needs two different people.", field="target")
    if source.account_id != target.account_id:
        raise StakeholderError(NO_SUCH_PERSON, field="target")


@transaction.atomic
def influence_link_create(
    *,
    user: User | None,
    source: Stakeholder,
    target: Stakeholder,
    kind: str = InfluenceLink.Kind.INFLUENCES,
    strength: int = InfluenceLink.Strength.MEDIUM,
    note: str = "",
) -> InfluenceLink:
    _check_link(source=source, target=target)
    if InfluenceLink.objects.filter(source=source, target=target, kind=kind).exists():
        raise StakeholderError(
            f"{source.name} already has that link to {target.name}.", field="target"
        )

    link = InfluenceLink(
        account_id=source.account_id,
        source=source,
        target=target,
        kind=kind,
        strength=strength,
        note=note,
    )
    try:
        link.full_clean()
    except ValidationError as error:
        _raise_from(error)
    link.save()

    change_record_many(
        user=user,
        account=source.account,
        target=link,
        changes={
            "source": (None, source.pk),
            "target": (None, target.pk),
            "kind": (None, kind),
            "strength": (None, strength),
            "note": (None, note),
        },
        action="create",
    )
    return link


@transaction.atomic
def influence_link_update(
    *,
    user: User | None,
    link: InfluenceLink,
    data: Mapping[str, Any],
    expected_version: datetime | None = None,
) -> InfluenceLink:
    """Change a link; with expected_version, only if no one else has since."""
    if expected_version is not None:
        # As for people: the row lock makes check-then-save atomic.
        current = InfluenceLink.objects.select_for_update().get(pk=link.pk)
        if current.updated_at != expected_version:
            raise StakeholderConflict(
                "Someone changed this link since you opened it; reload to see "
                "their change, then apply yours."
            )
    unknown = set(data) - {"kind", "strength", "note"}
    if unknown:
        raise StakeholderError(f"Unknown fields: {', '.join(sorted(unknown))}.")

    changes = model_changes(link, data)
    for field, value in data.items():
        setattr(link, field, value)
    try:
        link.full_clean()
    except ValidationError as error:
        _raise_from(error)
    link.save()

    change_record_many(user=user, account=link.account, target=link, changes=changes)
    return link


@transaction.atomic
def influence_link_delete(
    *,
    user: User | None,
    link: InfluenceLink,
    expected_version: datetime | None = None,
) -> None:
    """Remove a link; with expected_version, only if no one changed it since."""
    if expected_version is not None:
        current = InfluenceLink.objects.select_for_update().filter(pk=link.pk).first()
        if current is None or current.updated_at != expected_version:
            raise StakeholderConflict(
                "Someone changed this link since you opened it; reload to see "
                "their change, then decide again."
            )
    change_record_many(
        user=user,
        account=link.account,
        target=link,
        changes={
            "source": (link.source_id, None),
            "target": (link.target_id, None),
            "kind": (link.kind, None),
        },
        action="delete",
    )
    link.delete()


@transaction.atomic
def activity_log(
    *,
    user: User | None,
    account: Account,
    stakeholders: Iterable[Stakeholder],
    kind: str = Activity.Kind.MEETING,
    occurred_at: datetime | None = None,
    note: str = "",
) -> Activity:
    """Log a touch with people at the account; their last-touch date follows."""
    people = list(stakeholders)
    if not people:
        raise StakeholderError("An activity needs at least one person.", "stakeholders")
    if any(person.account_id != account.pk for person in people):
        raise StakeholderError(NO_SUCH_PERSON, "stakeholders")

    activity = Activity(
        account=account,
        user=user,
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        note=note,
    )
    try:
        activity.full_clean()
    except ValidationError as error:
        _raise_from(error)
    activity.save()
    activity.stakeholders.set(people)
    return activity


@transaction.atomic
def account_expected_roles_set(
    *,
    user: User | None,
    account: Account,
    roles: Iterable[BuyingRole],
    expected_keys: list[str] | None = None,
) -> list[BuyingRole]:
    """Replace the roles this account is expected to have.

    With expected_keys, only if the account still expects exactly those.
    """
    if expected_keys is not None:
        # Lock the account: the expected roles have no row of their own.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        current = account_expected_roles_map(accounts=[account])[account.pk]
        if sorted(role.key for role in current) != sorted(expected_keys):
            raise StakeholderConflict(
                "Someone changed the expected roles since you opened them; "
                "reload to see their change, then apply yours."
            )
    roles = list(roles)
    old = AccountExpectedRole.objects.filter(account=account).select_related("role")
    old_keys = _role_keys(expected.role for expected in old)

    old.delete()
    AccountExpectedRole.objects.bulk_create(
        AccountExpectedRole(account=account, role=role) for role in roles
    )

    change_record_many(
        user=user,
        account=account,
        target=account,
        changes={"expected_roles": (old_keys, _role_keys(roles))},
    )
    return roles


# The buying-role taxonomy (sales ops)

BUYING_ROLE_FIELDS = ("key", "name", "kind", "description", "position")


def buying_role_save(
    *, role: BuyingRole, data: Mapping[str, Any], expected_version: Any = None
) -> bool:
    """Create or change a role; a stored one only if still at the version."""
    fields = [field for field in BUYING_ROLE_FIELDS if field in data]
    for field in fields:
        setattr(role, field, data[field])
    role.full_clean()

    if role.pk is None:
        role.save()
        return True
    return instance_save_if_unchanged(
        instance=role, fields=fields, expected_version=expected_version
    )


def buying_role_delete(
    *,
    role: BuyingRole,
    actor: User,
    request: HttpRequest | None,
    expected_version: Any,
    source: str = "api",
) -> bool:
    """Delete a role no person holds and no account expects, if still at the
    version read; return whether it was.

    Raise InUseError naming who still uses it: deleting would take the role
    from them without a trace in their history. The sector defaults that
    name it are part of the taxonomy and go with it. The deletion, with
    what the role was and the sectors that expected it, is audited as an
    erasure.
    """
    with transaction.atomic():
        locked = (
            BuyingRole.objects.select_for_update()
            .filter(pk=role.pk, updated_at=expected_version)
            .first()
        )
        if locked is None:
            return False
        uses = Counter(
            {
                "people holding it": Stakeholder.roles.through.objects.filter(
                    buyingrole_id=locked.pk
                ).count(),
                "accounts expecting it": AccountExpectedRole.objects.filter(
                    role=locked
                ).count(),
            }
        )
        if uses.total():
            raise InUseError(
                in_use_message(
                    noun="buying role",
                    uses=+uses,
                    remedy="Take it off those people and accounts first.",
                )
            )
        sectors = sorted(
            SectorRoleDefault.objects.filter(role=locked).values_list(
                "sector", flat=True
            )
        )
        # Built before the row goes, so it still has the role's id.
        event = audit_event(
            actor=actor,
            action=AuditEvent.Action.ERASURE,
            target=locked,
            request=request,
            detail={
                "source": source,
                "deleted": "buying role",
                "values": {
                    "key": locked.key,
                    "name": locked.name,
                    "kind": locked.kind,
                },
                "sector_defaults": sectors,
            },
        )
        locked.delete()
        audit_events_save([event])
    logger.info("buying role %s deleted by %s", role.pk, actor.pk)
    return True
