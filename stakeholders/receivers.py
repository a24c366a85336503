"""Receivers that fold the coverage counts once a write commits.

Database triggers mark the accounts a write changes, in its transaction
(stakeholders.coverage_counts); the coverage page counts marked accounts
afresh until a fold stores their counts. Every save or delete of the
models the counts read, through the ORM, and the end of an import or its
undo (which write in bulk and send no save signal), fold after commit. So
do the writes that change who sees which account by team (memberships,
people's teams and roles, teams' managers), which mark viewers.
"""

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Account, AccountTeamMember, Team, User
from accounts.signals import import_finished
from stakeholders.coverage_counts import coverage_counts_fold_on_commit
from stakeholders.models import (
    AccountExpectedRole,
    Activity,
    SectorRoleDefault,
    Stakeholder,
)


def _changed(**kwargs: Any) -> None:
    coverage_counts_fold_on_commit()


def _user_changed(*, update_fields: frozenset[str] | None, **kwargs: Any) -> None:
    # A login saves only last_login, which changes whom nobody sees.
    if update_fields is not None and not update_fields & {"team", "role"}:
        return
    coverage_counts_fold_on_commit()


def receivers_connect() -> None:
    """Connect the receivers; AppConfig.ready calls this once."""
    models = (Account, Stakeholder, Activity, AccountExpectedRole, SectorRoleDefault)
    for model in models:
        name = model._meta.label_lower
        post_save.connect(_changed, sender=model, dispatch_uid=f"coverage:{name}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"coverage-delete:{name}"
        )
    for through in (Stakeholder.roles.through, Activity.stakeholders.through):
        name = through._meta.label_lower
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"coverage:{name}")
    import_finished.connect(_changed, dispatch_uid="coverage:import_finished")
    for scoped in (AccountTeamMember, Team):
        name = scoped._meta.label_lower
        post_save.connect(_changed, sender=scoped, dispatch_uid=f"coverage:{name}")
        post_delete.connect(
            _changed, sender=scoped, dispatch_uid=f"coverage-delete:{name}"
        )
    post_save.connect(_user_changed, sender=User, dispatch_uid="coverage:user")
    post_delete.connect(_changed, sender=User, dispatch_uid="coverage-delete:user")
    m2m_changed.connect(
        _changed,
        sender=Account.team_members.through,
        dispatch_uid="coverage:account_team_members",
    )
