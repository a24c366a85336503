"""Tell a running import from one whose process died.

An import writes in one transaction, so nothing it does shows in the
database until it ends. While it runs, a thread of its process stamps the
time in the cache (Redis, shared by every process) every BEAT_EVERY
seconds. An import marked running whose last stamp, or its start when
there is none, is older than settings.LODE_IMPORT_STALLED_SECONDS is
stalled: its process died, its transaction with it, and nothing of it
was written. A stalled import is marked failed (by the sweep, or when
someone checks it again) and can then be checked and started again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts.models import ImportJob

logger = logging.getLogger(__name__)

BEAT_EVERY = 10.0


def import_heartbeat_cache_key(job_id: int) -> str:
    return f"accounts:import-job:{job_id}:heartbeat"


@contextmanager
def import_heartbeat(*, job_id: int) -> Iterator[None]:
    """Stamp the cache every BEAT_EVERY seconds while the block runs."""
    stop = threading.Event()
    key = import_heartbeat_cache_key(job_id)

    def stamp() -> None:
        try:
            cache.set(key, time.time(), 24 * 3600)
        except Exception:
            # A missed beat shows late; a dead thread would show stalled.
            logger.warning("import %s missed a heartbeat", job_id, exc_info=True)

    def beat() -> None:
        while not stop.wait(BEAT_EVERY):
            stamp()

    stamp()
    thread = threading.Thread(target=beat, name=f"import-{job_id}-heartbeat")
    thread.daemon = True
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        cache.delete(key)


def import_job_last_sign(*, job: ImportJob) -> datetime:
    """Return when the import's process last showed it was alive."""
    stamp = cache.get(import_heartbeat_cache_key(job.pk))
    if stamp is None:
        return job.updated_at
    return max(job.updated_at, datetime.fromtimestamp(stamp, tz=UTC))


def import_job_stalled(*, job: ImportJob) -> bool:
    """Return whether a running import's process has stopped."""
    if job.status != ImportJob.Status.RUNNING:
        return False
    bound = timedelta(seconds=settings.LODE_IMPORT_STALLED_SECONDS)
    return import_job_last_sign(job=job) < timezone.now() - bound


def import_job_stalled_message(*, job: ImportJob, percent: int, message: str) -> str:
    last = import_job_last_sign(job=job)
    return (
        f"Stalled: its process stopped at {percent}% ({message}); no sign of "
        f"life since {last:%Y-%m-%d %H:%M:%S} UTC. Nothing was written; check "
        "it again to retry."
    )


def import_job_stall_fail(*, job: ImportJob) -> bool:
    """Mark a stalled import failed, so it can be checked and started again."""
    from accounts.services import import_job_progress

    if not import_job_stalled(job=job):
        return False

    progress = import_job_progress(job=job)
    now = timezone.now()
    # Only the run seen stalled: a worker that claimed it since changed it.
    failed = ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.RUNNING, updated_at=job.updated_at
    ).update(
        status=ImportJob.Status.FAILED,
        error=str(progress["message"]).removeprefix("Stalled: "),
        progress_message="Failed: its process stopped",
        finished_at=now,
        updated_at=now,
    )
    job.refresh_from_db()
    if not failed:
        return False

    _row_report_remove(job)
    logger.warning("import %s stalled and is marked failed", job.pk)
    return True


def _row_report_remove(job: ImportJob) -> None:
    from accounts.services import import_progress_cache_key
    from accounts.wizard import row_report_path

    # The report of rows a killed run had written so far: none were kept.
    row_report_path(job=job).unlink(missing_ok=True)
    cache.delete_many(
        [import_progress_cache_key(job.pk), import_heartbeat_cache_key(job.pk)]
    )


def import_jobs_stalled_fail() -> int:
    """Mark every stalled import failed; return how many."""
    running = ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
    return sum(import_job_stall_fail(job=job) for job in running)
