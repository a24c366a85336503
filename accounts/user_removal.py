"""When a user is deleted, move the version of every record that named them.

A foreign key to a user with SET_NULL is cleared by Django in an UPDATE
that leaves `updated_at` (the ETag) and a plan's `version` as they were,
so a form or a PATCH read before would overwrite the cleared value
without a conflict. This moves both, in the deletion's own transaction,
and the version of each account whose team the user leaves with it.
Each deal the user owned also says so in its history: its owner went
with the user, deleted by whom and when. The history keeps the user's
name on every change and import they made, as the key to them is cleared.
"""

from typing import Any, cast

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import pre_delete
from django.utils import timezone

from accounts.models import Account, ChangeRecord, ImportJob, Opportunity, User
from config.security import request_current

# The history action of a value cleared because the user it named was
# deleted: not a hand edit, so an import's undo does not keep it as one.
USER_DELETED = "user_delete"


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


def account_teams_touch(*, user: User) -> int:
    """Move the version of each account whose team the user is on.

    Deleting the user deletes their team memberships (CASCADE): the
    account's team changes though no column of the account does, so a
    PATCH read before would pass its If-Match over the change. Return how
    many accounts.
    """
    return Account.objects.filter(team_memberships__user=user).update(
        updated_at=timezone.now()
    )


def _deleted_by(user: User) -> User | None:
    """Return who is deleting `user`: the request's user, if any."""
    request = request_current()
    deleter = getattr(request, "user", None)
    if deleter is None or not deleter.is_authenticated or deleter.pk == user.pk:
        # A command, or someone deleting themselves: a record naming the
        # user being deleted would hold a key to a row about to go.
        return None
    return deleter


def deal_owner_removals_record(*, user: User) -> int:
    """Record on each deal the user owns that its owner goes with them.

    The record keeps the user's name, not their id, as the old value: once
    the user is gone, an id would name no one. Return how many deals.
    """
    deleter = _deleted_by(user)
    deals = Opportunity.objects.filter(owner=user, account__isnull=False).only(
        "pk", "account_id", "external_id"
    )
    content_type = ContentType.objects.get_for_model(Opportunity)
    records = ChangeRecord.objects.bulk_create(
        ChangeRecord(
            # Deals without an account are left out above.
            account_id=cast(int, deal.account_id),
            content_type=content_type,
            object_id=deal.pk,
            object_label=str(deal)[:300],
            action=USER_DELETED,
            field="owner",
            old_value=user.display_name,
            new_value="",
            changed_by_id=deleter.pk if deleter else None,
        )
        for deal in deals
    )
    return len(records)


def change_authors_keep(*, user: User) -> int:
    """Write the user's name on each change and import they made.

    Return how many records were named.
    """
    name = user.display_name[:300]
    changes = ChangeRecord.objects.filter(changed_by=user).update(changed_by_name=name)
    return changes + ImportJob.objects.filter(created_by=user).update(
        created_by_name=name
    )


def _user_pre_delete(sender: type[User], instance: User, **kwargs: object) -> None:
    # pre_delete runs inside the deletion's transaction, before Django's
    # collector clears the references, so they still find the user here.
    change_authors_keep(user=instance)
    deal_owner_removals_record(user=instance)
    user_references_touch(user=instance)
    account_teams_touch(user=instance)


def receivers_connect() -> None:
    pre_delete.connect(
        _user_pre_delete, sender=User, dispatch_uid="accounts.user_references_touch"
    )
