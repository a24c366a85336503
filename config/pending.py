"""Work recorded as pending in the database reaches the worker eventually.

A request that starts background work (a score run, an import) writes the
pending row first and only then sends the task. When Redis is down or
stalled the send fails fast and the row stays pending; this module sends
such rows again once the broker is back: every minute from beat, and once
when a worker comes up. Sending twice is harmless, because each task
claims its row before working on it.
"""

import logging
import threading
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import connections
from django.utils import timezone

from accounts.models import ImportJob
from scoring.models import RenamedAccount, ScoreRun
from stakeholders.models import CoverageChangedAccount, CoverageChangedViewer

logger = logging.getLogger(__name__)

# Younger rows are probably still on their way from the request that made
# them; leave those to it.
PENDING_RESEND_AFTER = timedelta(seconds=10)


class EnqueueOrLeavePendingTask(Task):
    """A task whose sending never fails the caller.

    The caller has already recorded the work as pending, so a broker that is
    down or stalled only delays it: log and return, and let the sweeper in
    this module send it again. Eager tasks (tests, the embedded default) run
    in process and raise as usual.
    """

    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        if self.app.conf.task_always_eager:
            return super().apply_async(*args, **kwargs)
        try:
            return super().apply_async(*args, **kwargs)
        except Exception:
            # Not only kombu's OperationalError: a stalled Redis can also
            # surface as an error from inside the transport.
            logger.exception("could not send %s; the work stays pending", self.name)
            return None


class LongTask(EnqueueOrLeavePendingTask):
    """A task long enough that a user waits for it on a progress page.

    With no broker it runs in a thread of the calling process instead of
    inside the request, unless TASKS_IN_BACKGROUND_THREAD is off (tests).
    """

    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        if not (
            self.app.conf.task_always_eager and settings.TASKS_IN_BACKGROUND_THREAD
        ):
            return super().apply_async(*args, **kwargs)

        thread = threading.Thread(
            target=self._run_in_thread,
            args=args,
            kwargs=kwargs,
            name=f"lode-{self.name}",
            daemon=True,
        )
        thread.start()
        return None

    def _run_in_thread(self, *args: Any, **kwargs: Any) -> None:
        try:
            EnqueueOrLeavePendingTask.apply_async(self, *args, **kwargs)
        except Exception:
            # The task has recorded its failure on its own row already.
            logger.exception("background %s failed", self.name)
        finally:
            connections.close_all()


def _send(task: Task, *args: int) -> bool:
    try:
        task.apply_async(args=args)
    except Exception:
        logger.exception("could not send %s for %s; still pending", task.name, args)
        return False
    return True


def pending_work_resend(
    *, older_than: timedelta = PENDING_RESEND_AFTER
) -> dict[str, int]:
    """Send every pending score run, import job, coverage fold and chart
    names refresh again.

    Return how many of each were sent. Accounts and viewers marked for a
    coverage fold are its pending work: one fold counts them all. So are
    renamed accounts for the current chart's names, once a run is current.
    """
    # Imported here: the task modules import this one for the base class.
    from accounts.tasks import import_job_task, mapped_import_task
    from scoring.tasks import scoring_figure_names_task, scoring_run_task
    from stakeholders.tasks import coverage_counts_fold_task

    cutoff = timezone.now() - older_than
    run_ids = ScoreRun.objects.filter(
        status=ScoreRun.Status.PENDING,
        started_at__isnull=True,
        created_at__lte=cutoff,
    ).values_list("pk", flat=True)
    # A job without files is one the management command runs in process;
    # a wizard job waits for its user until the mapping is confirmed.
    pending_jobs = ImportJob.objects.filter(
        status=ImportJob.Status.PENDING, created_at__lte=cutoff
    ).exclude(source_directory="")
    job_ids = pending_jobs.filter(mapped__isnull=True).values_list("pk", flat=True)
    mapped_ids = pending_jobs.filter(
        mapped__confirmed_at__isnull=False, mapped__undone_at__isnull=True
    ).values_list("pk", flat=True)

    sent = {
        "score_runs": sum(_send(scoring_run_task, pk) for pk in run_ids),
        "import_jobs": sum(_send(import_job_task, pk) for pk in job_ids)
        + sum(_send(mapped_import_task, pk) for pk in mapped_ids),
        "coverage_folds": int(
            (
                CoverageChangedAccount.objects.filter(marked_at__lte=cutoff).exists()
                or CoverageChangedViewer.objects.filter(marked_at__lte=cutoff).exists()
            )
            and _send(coverage_counts_fold_task)
        ),
        "chart_names": int(
            RenamedAccount.objects.filter(renamed_at__lte=cutoff).exists()
            and ScoreRun.objects.filter(is_current=True).exists()
            and _send(scoring_figure_names_task)
        ),
    }
    if any(sent.values()):
        logger.info("resent pending work: %s", sent)
    return sent


@shared_task
def pending_work_resend_task(older_than_seconds: float | None = None) -> None:
    older_than = (
        PENDING_RESEND_AFTER
        if older_than_seconds is None
        else timedelta(seconds=older_than_seconds)
    )
    pending_work_resend(older_than=older_than)


@worker_ready.connect
def _resend_pending_work_on_worker_ready(sender: Any = None, **kwargs: Any) -> None:
    # A worker coming up is the first sign the broker may be back; send
    # everything still pending, however young: duplicates are claimed once.
    try:
        pending_work_resend(older_than=timedelta(0))
    except Exception:
        logger.exception("could not resend pending work on worker start")
