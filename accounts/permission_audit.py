"""Record changes to what users may see and do as permission changes.

A user's role, team, staff and superuser flags, active flag, groups and
permissions, and a team's manager decide which accounts a user sees. The
admin records its changes as it saves; an import and its undo are recorded
from the row changes the import kept, once they commit. Each changed user
or team is one audit event, with who, when, from where and what changed.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from accounts.models import (
    AuditEvent,
    ImportJob,
    ImportRowChange,
    MappedImport,
    Team,
    User,
)
from accounts.signals import import_finished
from config.security import (
    Origin,
    audit_event,
    audit_events_save,
    request_current,
    request_origin,
)

logger = logging.getLogger(__name__)

# Model field -> the name the audit shows it under.
USER_FIELDS = {
    "role": "role",
    "team_id": "team",
    "is_staff": "is_staff",
    "is_superuser": "is_superuser",
    "is_active": "is_active",
}

State = dict[str, Any]

# What a field was before an undo: the import's value, which it did not keep.
UNKNOWN = object()


def _team_names(ids: Iterable[Any]) -> dict[int, str]:
    wanted = {int(pk) for pk in ids if pk not in (None, "")}
    return dict(Team.objects.filter(pk__in=wanted).values_list("pk", "name"))


def _user_names(ids: Iterable[Any]) -> dict[int, str]:
    wanted = {int(pk) for pk in ids if pk not in (None, "")}
    return dict(User.objects.filter(pk__in=wanted).values_list("pk", "username"))


def user_permissions_read(
    *, user_ids: Iterable[int], with_grants: bool = False
) -> dict[int, State]:
    """Return each user's permission state, team by name, by user id."""
    users = User.objects.filter(pk__in=list(user_ids))
    if with_grants:
        users = users.prefetch_related("groups", "user_permissions")
    return {
        user.pk: _user_state(user, with_grants=with_grants)
        for user in users.select_related("team")
    }


def _user_state(user: User, *, with_grants: bool) -> State:
    state: State = {
        "role": user.role,
        "team": user.team.name if user.team else None,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "is_active": user.is_active,
    }
    if with_grants:
        state["groups"] = sorted(group.name for group in user.groups.all())
        state["permissions"] = sorted(
            permission.codename for permission in user.user_permissions.all()
        )
    return state


def _changes(before: State | None, after: State) -> dict[str, dict[str, Any]]:
    old = before or {}
    return {
        name: {"to": value}
        if old.get(name) is UNKNOWN
        else {"from": old.get(name), "to": value}
        for name, value in after.items()
        if before is None or old.get(name) != value
    }


def permission_changes_record(
    *,
    targets: Mapping[Any, models.Model],
    before: Mapping[Any, State | None],
    after: Mapping[Any, State],
    actor: User | None,
    request: HttpRequest | None,
    source: str,
    detail: Mapping[str, Any] | None = None,
    origin: Origin | None = None,
    actor_label: str = "",
) -> list[AuditEvent]:
    """Record one permission change per target whose state differs."""
    events = []
    for pk, state in after.items():
        old = before.get(pk)
        changes = _changes(old, state)
        if not changes:
            continue
        events.append(
            audit_event(
                actor=actor,
                action=AuditEvent.Action.PERMISSION_CHANGE,
                target=targets[pk],
                request=request,
                origin=origin,
                actor_label=actor_label,
                detail={
                    "source": source,
                    **({"created": True} if old is None else {}),
                    "changes": changes,
                    **(detail or {}),
                },
            )
        )
    return audit_events_save(events)


# Imports: the row changes an import kept say what it replaced.


def _import_user_changes(
    *, job: ImportJob, undone: bool
) -> tuple[dict[int, State | None], dict[int, State]]:
    content_type = ContentType.objects.get_for_model(User)
    rows = list(ImportRowChange.objects.filter(job=job, content_type=content_type))
    current = user_permissions_read(user_ids=[row.object_id for row in rows])
    teams = _team_names(
        row.old_values.get("team_id") for row in rows if "team_id" in row.old_values
    )
    before: dict[int, State | None] = {}
    after: dict[int, State] = {}
    for row in rows:
        state = current.get(row.object_id)
        if state is None:
            # Deleted by the undo: it no longer has any access to record.
            continue
        if row.action == ImportRowChange.Action.CREATED:
            if undone and not state["is_active"]:
                before[row.object_id] = {"is_active": True}
                after[row.object_id] = {"is_active": False}
            elif not undone:
                before[row.object_id] = None
                after[row.object_id] = state
            continue
        touched = {
            USER_FIELDS[name]: value
            for name, value in row.old_values.items()
            if name in USER_FIELDS
        }
        if not touched:
            continue
        if "team" in touched and touched["team"] not in (None, ""):
            touched["team"] = teams.get(int(touched["team"]))
        if undone:
            # The import's values are gone; the state restored is what counts.
            before[row.object_id] = dict.fromkeys(touched, UNKNOWN)
        else:
            before[row.object_id] = touched
        after[row.object_id] = {name: state[name] for name in touched}
    return before, after


def _import_team_changes(
    *, job: ImportJob, undone: bool
) -> tuple[dict[int, State | None], dict[int, State], dict[int, Team]]:
    content_type = ContentType.objects.get_for_model(Team)
    rows = [
        row
        for row in ImportRowChange.objects.filter(job=job, content_type=content_type)
        if row.action == ImportRowChange.Action.UPDATED
        and "manager_id" in row.old_values
    ]
    teams = Team.objects.in_bulk([row.object_id for row in rows])
    names = _user_names(
        [row.old_values["manager_id"] for row in rows]
        + [team.manager_id for team in teams.values()]
    )
    before: dict[int, State | None] = {}
    after: dict[int, State] = {}
    for row in rows:
        team = teams.get(row.object_id)
        if team is None:
            continue
        old = row.old_values["manager_id"]
        if undone:
            before[team.pk] = {"manager": UNKNOWN}
        else:
            before[team.pk] = {
                "manager": None if old in (None, "") else names.get(int(old))
            }
        after[team.pk] = {"manager": names.get(team.manager_id or 0)}
    return before, after, teams


def import_job_origin_keep(*, job: ImportJob) -> None:
    """Keep on the job where the request starting it came from (not saved).

    The worker that runs the import has no request; the audit of what it
    changes names this address, as an import run in process would.
    """
    origin = request_origin(request_current())
    job.started_ip_address = origin.ip_address
    job.started_user_agent = origin.user_agent


def _import_origin(job: ImportJob) -> Origin:
    return Origin(ip_address=job.started_ip_address, user_agent=job.started_user_agent)


def import_permissions_record(*, job: ImportJob) -> list[AuditEvent]:
    """Record the permission changes an import, or its undo, made."""
    mapped = MappedImport.objects.filter(job=job).select_related("undone_by").first()
    undone = mapped is not None and mapped.undone_at is not None
    actor = mapped.undone_by if undone and mapped else job.created_by
    source = "import undo" if undone else "users import"
    detail = {"import": job.pk}

    before, after = _import_user_changes(job=job, undone=undone)
    users = User.objects.in_bulk(list(after))
    # An undo, or an import run in the request that started it, has that
    # request; one run by the worker has the address the job kept of it.
    request = request_current()
    origin = None if undone else _import_origin(job)
    events = permission_changes_record(
        targets=users,
        before=before,
        after=after,
        actor=actor,
        request=request,
        origin=origin,
        source=source,
        detail=detail,
    )
    team_before, team_after, teams = _import_team_changes(job=job, undone=undone)
    events += permission_changes_record(
        targets=teams,
        before=team_before,
        after=team_after,
        actor=actor,
        request=request,
        origin=origin,
        source=source,
        detail=detail,
    )
    return events


# The bundled layout (accounts.services) keeps no row changes: it compares
# everyone's access before and after its write, in the write's transaction.

Snapshot = dict[models.Model, State]


def permissions_snapshot() -> Snapshot:
    """Return every user's permission state and every team's manager."""
    snapshot: Snapshot = {
        user: _user_state(user, with_grants=False)
        for user in User.objects.select_related("team")
    }
    for team in Team.objects.select_related("manager"):
        snapshot[team] = {"manager": team.manager.username if team.manager else None}
    return snapshot


def directory_import_permissions_record(
    *, job: ImportJob, before: Snapshot
) -> list[AuditEvent]:
    """Record what a bundled-layout import changed in who may see what."""
    after = permissions_snapshot()
    # A model instance is equal to another of the same row, so the two
    # snapshots meet on their rows; users first, each in id order.
    changed = {
        target: state
        for target, state in sorted(
            after.items(),
            key=lambda item: (not isinstance(item[0], User), item[0].pk),
        )
        if before.get(target) != state
    }
    # The command line has no user and no request; say so rather than
    # leave the actor blank.
    return permission_changes_record(
        targets={target: target for target in changed},
        before={target: before.get(target) for target in changed},
        after=changed,
        actor=job.created_by,
        actor_label="" if job.created_by_id else "command line",
        request=request_current(),
        origin=_import_origin(job),
        source="bundled import",
        detail={"import": job.pk},
    )


def import_finished_audit(sender: object, **kwargs: object) -> None:
    job = kwargs.get("job")
    if not isinstance(job, ImportJob):
        return
    try:
        import_permissions_record(job=job)
    except Exception:
        # The import has committed; a failed record must not make it look
        # failed, but it must be seen.
        logger.exception("permission changes of import %s not audited", job.pk)


def receivers_connect() -> None:
    import_finished.connect(
        import_finished_audit, dispatch_uid="accounts.import_finished_audit"
    )
