"""Signals other apps listen to; accounts itself depends on no other app."""

from django.dispatch import Signal

# Sent on commit after an import wrote something: sender=ImportJob, job=job.
# The scoring app connects to it to start a score run.
import_finished = Signal()

# Sent inside the transaction in which accounts are renamed, by hand, by an
# import (once per chunk) or by an import's undo: sender=Account,
# account_ids=[...]. The scoring app marks the names for its stored chart
# there, and redraws them once the rename commits.
account_renamed = Signal()
