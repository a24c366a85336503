"""Receivers that start the coverage totals afresh after a write.

The totals (stakeholders.selectors.coverage_totals_for_user) count people,
their touches and roles, accounts and their expected roles. Every save or
delete of those through the ORM makes the kept totals out of date, once at
the write and once more at commit: a page counted between the two read the
rows from before the write and kept them under the new token. Imports
write in bulk, which sends no save signal, so their end counts as a write.
"""

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Account
from accounts.signals import import_finished
from stakeholders.models import (
    AccountExpectedRole,
    Activity,
    SectorRoleDefault,
    Stakeholder,
)
from stakeholders.selectors import coverage_data_changed


def _changed(**kwargs: Any) -> None:
    coverage_data_changed()
    transaction.on_commit(coverage_data_changed)


def receivers_connect() -> None:
    """Connect the receivers; AppConfig.ready calls this once."""
    # An account's sector decides the roles it expects, so any save of one
    # counts, not only its creation.
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
