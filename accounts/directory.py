"""Who works here and what we sell: users, teams and products, and an
account's parent and team, as the API reads and changes them.

Reads follow the one access model (accounts.selectors): a user sees the
people and teams that the accounts they see bring to their page, and
everyone sees the catalogue. Only sales operations change any of these.
Every change to who may see what is recorded as a permission change, as
the admin records it.
"""

import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from accounts.history import change_record_many
from accounts.models import (
    Account,
    AccountTeamMember,
    AuditEvent,
    Product,
    Team,
    User,
)
from accounts.permission_audit import (
    permission_changes_record,
    user_permissions_read,
)
from accounts.selectors import account_list_for_user
from accounts.services import (
    account_name_check,
    account_name_clash_raise,
    account_renamed_announce,
)
from accounts.team_versions import account_versions_touch
from config.api import instance_save_if_unchanged
from config.security import audit_event, audit_events_save

logger = logging.getLogger(__name__)

ONLY_OPS = "Only sales operations change this."


class InUseError(Exception):
    """A row that others still name, so it is not deleted; says who does."""


def in_use_message(*, noun: str, uses: Counter[str], remedy: str) -> str:
    """Return why a row stays: "This product is still used (deals: 3). ..."."""
    listed = ", ".join(f"{name}: {count}" for name, count in sorted(uses.items()))
    return f"This {noun} is still used ({listed}). {remedy}"


def _protected_uses(error: models.ProtectedError) -> Counter[str]:
    return Counter(
        str(row._meta.verbose_name_plural) for row in error.protected_objects
    )


def directory_can_edit(*, user: User) -> bool:
    """Return whether the user may change users, teams and the catalogue."""
    return user.is_authenticated and user.is_active and user.is_ops


# Users


def user_list_for_user(*, user: User) -> QuerySet[User]:
    """Return the users this user may see.

    Executives and sales ops see everyone. Anyone else sees themselves,
    the people on their own team and on the teams they manage, and the
    account team of every account they see (its page names them).
    """
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if user.sees_all_accounts:
        return User.objects.all()

    on_seen_accounts = AccountTeamMember.objects.filter(
        account__in=account_list_for_user(user=user)
    ).values("user_id")
    seen = Q(pk=user.pk) | Q(team__manager=user) | Q(pk__in=on_seen_accounts)
    if user.team_id is not None:
        seen |= Q(team_id=user.team_id)
    return User.objects.filter(pk__in=User.objects.filter(seen).values("pk"))


def user_get_for_user(*, user: User, pk: int) -> User:
    """Return the user `pk` if this user may see them, else raise 404."""
    found = user_list_for_user(user=user).select_related("team").filter(pk=pk).first()
    if found is None:
        raise Http404("No such user.")
    return found


USER_EDITABLE_FIELDS = ("first_name", "last_name", "email", "role", "team", "is_active")


def user_update(
    *,
    target: User,
    actor: User,
    data: dict[str, Any],
    request: HttpRequest | None,
) -> User:
    """Change a user's names, role, team or active flag; audit access changes.

    The caller holds the row locked (select_for_update) since its read.
    """
    if target.pk == actor.pk and data.get("is_active") is False:
        raise ValidationError({"is_active": ["You cannot deactivate yourself."]})
    before = user_permissions_read(user_ids=[target.pk]).get(target.pk)
    for field in USER_EDITABLE_FIELDS:
        if field in data:
            setattr(target, field, data[field])
    target.full_clean(exclude=["password"])
    if "email" in data:
        _user_email_check(target)
    target.save(update_fields=[f for f in USER_EDITABLE_FIELDS if f in data])

    permission_changes_record(
        targets={target.pk: target},
        before={target.pk: before},
        after=user_permissions_read(user_ids=[target.pk]),
        actor=actor,
        request=request,
        source="api",
    )
    return target


USERNAME_TAKEN = "A user with that username already exists."
EMAIL_TAKEN = "Another user has this email address."


def _user_email_check(user: User) -> None:
    # Not unique in the table (the admin allows it), but an address names
    # one person: two users with one would each get the other's mail.
    others = User.objects.exclude(pk=user.pk or 0)
    if user.email and others.filter(email__iexact=user.email).exists():
        raise ValidationError({"email": [EMAIL_TAKEN]})


def user_create(
    *,
    actor: User,
    data: dict[str, Any],
    password: str | None,
    request: HttpRequest | None,
) -> User:
    """Create a user and record their access as a permission change.

    The password is checked against the configured validators, as the
    admin checks it; without one the user cannot sign in until a password
    is set. It is never stored anywhere but as the hash.
    """
    fields = [f for f in ("username", *USER_EDITABLE_FIELDS) if f in data]
    user = User(**{field: data[field] for field in fields})
    user.full_clean(exclude=["password"])
    # The login compares usernames exactly; "Rita" beside "rita" is a typo
    # that would give one person two accounts.
    if User.objects.filter(username__iexact=user.username).exists():
        raise ValidationError({"username": [USERNAME_TAKEN]})
    _user_email_check(user)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
        user.set_password(password)
    else:
        user.set_unusable_password()

    with transaction.atomic():
        user.save()
        permission_changes_record(
            targets={user.pk: user},
            before={user.pk: None},
            after=user_permissions_read(user_ids=[user.pk]),
            actor=actor,
            request=request,
            source="api",
        )
    logger.info("user %s created by %s", user.pk, actor.pk)
    return user


def user_delete(
    *,
    target: User,
    actor: User,
    request: HttpRequest | None,
    source: str = "api",
) -> None:
    """Delete a user and record it, with the access they had, as an erasure.

    The caller holds the row locked since its read. Deleting clears every
    record that named the user and moves its version (accounts.user_removal);
    a team they managed is left without a manager, a permission change.
    """
    if target.pk == actor.pk:
        raise ValidationError({"non_field_errors": ["You cannot delete yourself."]})
    access = user_permissions_read(user_ids=[target.pk])[target.pk]
    # Built before the row goes, so it still has the user's id and name.
    event = audit_event(
        actor=actor,
        action=AuditEvent.Action.ERASURE,
        target=target,
        request=request,
        detail={"source": source, "deleted": "user", "access": access},
    )

    with transaction.atomic():
        managed = {team.pk: team for team in target.managed_teams.order_by("pk")}
        target.delete()
        audit_events_save([event])
        permission_changes_record(
            targets=managed,
            before={pk: {"manager": target.username} for pk in managed},
            after={pk: {"manager": None} for pk in managed},
            actor=actor,
            request=request,
            source=source,
        )
    logger.info("user %s deleted by %s", event.target_id, actor.pk)


# Teams


def team_list_for_user(*, user: User) -> QuerySet[Team]:
    """Return the teams this user may see: all for executives and sales ops,
    else their own team and the teams they manage."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.sees_all_accounts:
        return Team.objects.all()
    return Team.objects.filter(Q(pk=user.team_id or 0) | Q(manager=user))


def team_get_for_user(*, user: User, pk: int) -> Team:
    """Return the team `pk` if this user may see it, else raise 404."""
    found = team_list_for_user(user=user).select_related("manager").filter(pk=pk)
    team = found.first()
    if team is None:
        raise Http404("No such team.")
    return team


def _manager_state(team: Team) -> dict[str, Any]:
    return {"manager": team.manager.username if team.manager else None}


def team_save(
    *,
    team: Team,
    actor: User,
    data: dict[str, Any],
    request: HttpRequest | None,
    expected_version: Any = None,
) -> bool:
    """Create or change a team; a new manager is audited as a permission change.

    For a stored team, save only if it is still at the version read and
    return whether it was.
    """
    creating = team.pk is None
    before = None if creating else _manager_state(team)
    renamed = not creating and data.get("name", team.name) != team.name
    for field in ("name", "region", "manager"):
        if field in data:
            setattr(team, field, data[field])
    team.full_clean()

    with transaction.atomic():
        if creating:
            team.save()
        elif not instance_save_if_unchanged(
            instance=team,
            fields=[f for f in ("name", "region", "manager") if f in data],
            expected_version=expected_version,
        ):
            return False
        if renamed:
            # Saved by an UPDATE, which sends no signal: the accounts whose
            # team list names the team move here.
            account_versions_touch(team_ids=[team.pk])
        permission_changes_record(
            targets={team.pk: team},
            before={team.pk: before},
            after={team.pk: _manager_state(team)},
            actor=actor,
            request=request,
            source="api",
        )
    return True


def team_delete(
    *,
    team: Team,
    actor: User,
    request: HttpRequest | None,
    expected_version: Any,
    source: str = "api",
) -> bool:
    """Delete a team if still at the version read; return whether it was.

    Its members are left without a team and its manager no longer sees
    its accounts through it: each is a permission change, as is the team.
    """
    with transaction.atomic():
        locked = (
            Team.objects.select_for_update()
            .filter(pk=team.pk, updated_at=expected_version)
            .first()
        )
        if locked is None:
            return False
        members = {member.pk: member for member in locked.members.order_by("pk")}
        before = user_permissions_read(user_ids=members)
        manager = _manager_state(locked)
        locked.delete()

        after = user_permissions_read(user_ids=members)
        permission_changes_record(
            targets=members,
            before=before,
            # One event per member, in id order on every database.
            after={pk: after[pk] for pk in members},
            actor=actor,
            request=request,
            source=source,
            detail={"team_deleted": team.name},
        )
        permission_changes_record(
            targets={team.pk: team},
            before={team.pk: {**manager, "deleted": False}},
            after={team.pk: {"manager": None, "deleted": True}},
            actor=actor,
            request=request,
            source=source,
        )
    logger.info("team %s deleted by %s", team.pk, actor.pk)
    return True


# Products and buying roles: the catalogue everyone reads.


def product_save(
    *, product: Product, data: dict[str, Any], expected_version: Any = None
) -> bool:
    """Create or change a product; a stored one only if still at the version."""
    fields: list[str] = [f for f in ("name", "series", "list_price") if f in data]
    for field in fields:
        setattr(product, field, data[field])
    product.full_clean()

    if product.pk is None:
        product.save()
        return True
    return instance_save_if_unchanged(
        instance=product, fields=fields, expected_version=expected_version
    )


def product_delete(
    *,
    product: Product,
    actor: User,
    request: HttpRequest | None,
    expected_version: Any,
    source: str = "api",
) -> bool:
    """Delete a product no deal, revenue or plan names, if still at the version.

    Return whether it was deleted; raise InUseError, naming what uses it,
    when something does: its history would go with it. The deletion, with
    what the product was, is audited as an erasure.
    """
    with transaction.atomic():
        locked = (
            Product.objects.select_for_update()
            .filter(pk=product.pk, updated_at=expected_version)
            .first()
        )
        if locked is None:
            return False
        # Built before the row goes, so it still has the product's id.
        event = audit_event(
            actor=actor,
            action=AuditEvent.Action.ERASURE,
            target=locked,
            request=request,
            detail={
                "source": source,
                "deleted": "product",
                "values": {
                    "name": locked.name,
                    "series": locked.series,
                    "list_price": None
                    if locked.list_price is None
                    else str(locked.list_price),
                },
            },
        )
        try:
            locked.delete()
        except models.ProtectedError as error:
            raise InUseError(
                in_use_message(
                    noun="product",
                    uses=_protected_uses(error),
                    remedy="Move those to another product first.",
                )
            ) from error
        audit_events_save([event])
    logger.info("product %s deleted by %s", product.pk, actor.pk)
    return True


# An account's parent and team


PARENT_NOT_FOUND = "No account you can see has this id."
PARENT_LOOP = "An account cannot be its own parent or a parent of its parent."
TEAM_USER_NOT_FOUND = "No active user has this id."


def account_parent_check(*, user: User, account: Account, parent_id: int | None) -> Any:
    """Return the parent an id names, refusing one the user cannot see or a loop."""
    if parent_id is None:
        return None
    parent = account_list_for_user(user=user).filter(pk=parent_id).first()
    if parent is None:
        raise ValidationError({"parent_id": [PARENT_NOT_FOUND]})

    # Walk up from the new parent: reaching this account would close a loop.
    seen = set()
    current: Account | None = parent
    while current is not None and current.pk not in seen:
        if current.pk == account.pk:
            raise ValidationError({"parent_id": [PARENT_LOOP]})
        seen.add(current.pk)
        current = (
            Account.objects.filter(pk=current.parent_id).first()
            if current.parent_id
            else None
        )
    return parent


def account_team_users(*, user_ids: Iterable[int]) -> list[User]:
    """Return the active users the ids name, refusing any that names none."""
    wanted = list(dict.fromkeys(user_ids))
    users = User.objects.filter(pk__in=wanted, is_active=True).in_bulk()
    if len(users) != len(wanted):
        raise ValidationError({"team_ids": [TEAM_USER_NOT_FOUND]})
    return [users[pk] for pk in wanted]


def account_team_set(
    *,
    account: Account,
    users: list[User],
    actor: User,
    request: HttpRequest | None,
) -> None:
    """Make exactly these users the account's team, auditing who came and went.

    Being on an account's team is what lets a rep see it: each person
    added or removed is one permission change, as the admin records it.
    """
    current = set(
        AccountTeamMember.objects.filter(account=account).values_list(
            "user_id", flat=True
        )
    )
    wanted = {member.pk for member in users}
    added, removed = wanted - current, current - wanted
    if not added and not removed:
        return

    AccountTeamMember.objects.filter(account=account, user_id__in=removed).delete()
    AccountTeamMember.objects.bulk_create(
        AccountTeamMember(account=account, user_id=pk) for pk in sorted(added)
    )
    change_record_many(
        user=actor,
        account=account,
        target=account,
        changes={
            "team": (
                ", ".join(_usernames(current)),
                ", ".join(_usernames(wanted)),
            )
        },
    )
    changed = sorted(added | removed)
    permission_changes_record(
        targets=User.objects.in_bulk(changed),
        before={pk: {"on_account_team": pk in current} for pk in changed},
        after={pk: {"on_account_team": pk in wanted} for pk in changed},
        actor=actor,
        request=request,
        source="api",
        detail={"account": account.pk, "account_name": account.name},
    )


def _usernames(ids: set[int]) -> list[str]:
    return sorted(User.objects.filter(pk__in=ids).values_list("username", flat=True))


def account_relations_update(
    *,
    account: Account,
    actor: User,
    values: dict[str, Any],
    team: list[User] | None,
    expected_version: Any,
    request: HttpRequest | None,
) -> bool:
    """Change the account's fields and, if given, its team, under one version.

    `values` holds validated account fields (firmographics, parent). Save
    nothing and return False when the account is no longer at the version
    read; otherwise bump its version even when only the team changed, so
    every reader's ETag goes stale.
    """
    before = {field: getattr(account, field) for field in values}
    try:
        # One transaction from the name's check to its save: see
        # account_name_check.
        with transaction.atomic():
            if "name" in values:
                account_name_check(account=account, name=values["name"], user=actor)
            for field, value in values.items():
                setattr(account, field, value)
            account.full_clean()
            fields = [
                field for field in values if getattr(account, field) != before[field]
            ]
            team_changes = team is not None and {member.pk for member in team} != set(
                AccountTeamMember.objects.filter(account=account).values_list(
                    "user_id", flat=True
                )
            )
            if not fields and not team_changes:
                # As a PATCH that changes nothing: everyone's ETag stays good.
                return True

            if not instance_save_if_unchanged(
                instance=account, fields=fields, expected_version=expected_version
            ):
                return False
            change_record_many(
                user=actor,
                account=account,
                target=account,
                changes={
                    field: (before[field], getattr(account, field)) for field in fields
                },
            )
            if team is not None:
                account_team_set(
                    account=account, users=team, actor=actor, request=request
                )
            if "name" in fields:
                account_renamed_announce(account=account)
    except IntegrityError as error:
        account_name_clash_raise(account=account, error=error)
    return True
