"""Signals other apps listen to; accounts itself depends on no other app."""

from django.dispatch import Signal

# Sent on commit after an import wrote something: sender=ImportJob, job=job.
# The scoring app connects to it to start a score run.
import_finished = Signal()

# Sent on commit after a user renamed accounts by hand: sender=Account,
# account_ids=[...]. The scoring app redraws the names in its stored chart.
account_renamed = Signal()
