"""Signals other apps listen to; accounts itself depends on no other app."""

from django.dispatch import Signal

# Sent on commit after an import wrote something: sender=ImportJob, job=job.
# The scoring app connects to it to start a score run.
import_finished = Signal()
