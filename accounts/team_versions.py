"""Move an account's version when the team list it shows changes.

An account, as the API shows it, lists its team: each member's name, role
and team. Renaming a user, changing their role or team, renaming or
deleting a team, or putting someone on an account's team changes that list
though no column of the account changes, so a PATCH read before would pass
its If-Match over the change. Each moves the version (`updated_at`, the
ETag) of the accounts concerned, in one UPDATE however many there are.
Deleting a user does the same (accounts.user_removal).
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.db.models.signals import post_save, pre_delete, pre_save
from django.utils import timezone

from accounts.models import Account, Team, User

# The user fields an account's team list shows: display_name reads the
# names and falls back to the username.
USER_SHOWN = ("username", "first_name", "last_name", "role", "team_id")
# The same, as `save(update_fields=...)` may name them.
USER_SHOWN_NAMES = frozenset({*USER_SHOWN, "team"})


def account_versions_touch(
    *,
    user_ids: Iterable[int] = (),
    team_ids: Iterable[int] = (),
    account_ids: Iterable[int] = (),
) -> int:
    """Move the version of the accounts whose team list shows these users,
    members of these teams, or that are these accounts; return how many."""
    users, teams, accounts = set(user_ids), set(team_ids), set(account_ids)
    if not users and not teams and not accounts:
        return 0
    condition = Q(pk__in=accounts)
    if users:
        condition |= Q(team_memberships__user_id__in=users)
    if teams:
        condition |= Q(team_memberships__user__team_id__in=teams)

    # One UPDATE ... WHERE id IN (SELECT ...): the joins stay in the
    # subquery, so an account with several such members moves once.
    return Account.objects.filter(condition).update(updated_at=timezone.now())


def account_versions_touch_for_rows(
    *, model: type[Any], pks: Iterable[int], fields: Iterable[str]
) -> int:
    """Move the accounts' versions after a bulk write of users or teams.

    For writes that send no signal (bulk_update, QuerySet.update): `fields`
    are the ones written to the rows `pks` of `model`.
    """
    written = set(fields)
    if model is User and USER_SHOWN_NAMES & written:
        return account_versions_touch(user_ids=pks)
    if model is Team and "name" in written:
        return account_versions_touch(team_ids=pks)
    return 0


def _user_pre_save(
    sender: type[User],
    instance: User,
    raw: bool = False,
    update_fields: Iterable[str] | None = None,
    **kwargs: Any,
) -> None:
    # A login saves last_login alone: no read for that.
    if raw or instance.pk is None:
        return
    if update_fields is not None and not USER_SHOWN_NAMES & set(update_fields):
        return
    stored = User.objects.filter(pk=instance.pk).values_list(*USER_SHOWN).first()
    shown = tuple(getattr(instance, field) for field in USER_SHOWN)
    if stored is not None and stored != shown:
        instance._team_list_changed = True  # type: ignore[attr-defined]


def _user_post_save(sender: type[User], instance: User, **kwargs: Any) -> None:
    if instance.__dict__.pop("_team_list_changed", False):
        account_versions_touch(user_ids=[instance.pk])


def _team_pre_save(
    sender: type[Team], instance: Team, raw: bool = False, **kwargs: Any
) -> None:
    if raw or instance.pk is None:
        return
    stored = Team.objects.filter(pk=instance.pk).values_list("name", flat=True)
    if stored.first() not in (None, instance.name):
        instance._team_list_changed = True  # type: ignore[attr-defined]


def _team_post_save(sender: type[Team], instance: Team, **kwargs: Any) -> None:
    if instance.__dict__.pop("_team_list_changed", False):
        account_versions_touch(team_ids=[instance.pk])


def _team_pre_delete(sender: type[Team], instance: Team, **kwargs: Any) -> None:
    # Before the members' team is cleared (SET_NULL), while they still
    # name it.
    account_versions_touch(team_ids=[instance.pk])


def receivers_connect() -> None:
    pre_save.connect(
        _user_pre_save, sender=User, dispatch_uid="accounts.team_versions.user_pre"
    )
    post_save.connect(
        _user_post_save, sender=User, dispatch_uid="accounts.team_versions.user_post"
    )
    pre_save.connect(
        _team_pre_save, sender=Team, dispatch_uid="accounts.team_versions.team_pre"
    )
    post_save.connect(
        _team_post_save, sender=Team, dispatch_uid="accounts.team_versions.team_post"
    )
    pre_delete.connect(
        _team_pre_delete,
        sender=Team,
        dispatch_uid="accounts.team_versions.team_delete",
    )
