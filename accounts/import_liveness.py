"""Tell a running import from one whose process died.

An import writes in one transaction, so nothing it does shows in the
database until it ends, and its status says "running" for as long as it
takes. Whether its process is still there is answered by a lock the
process holds for the whole run, which the operating system or the
database frees the moment the process dies, whatever killed it:

- On PostgreSQL, a session-level advisory lock keyed on the job, taken on
  a connection of its own. The run's connection is left alone: it holds
  the import's transaction, may be closed and opened again, and, busy in a
  long statement, would notice its client gone only when the statement
  ends. The lock's connection sits idle, so the server sees it close as
  soon as the process dies and frees the lock; a worker on any machine is
  seen alive by every other process.
- On SQLite (the embedded default: tasks run in the web process), an
  exclusive flock() on a file in MEDIA_ROOT. The kernel frees it when the
  process exits; a second open of the file, even in the same process,
  cannot take it while the run holds it.

A beat stamped in the cache (Redis), as this module did before, cannot
tell: with Redis down a live import misses its beats and looks dead, and a
sweep would fail it while it is still writing. A lock needs no service but
the database.

A check reads whether the lock is held and never takes it (on PostgreSQL
it reads pg_locks), so it cannot make a starting run wait. A job is marked
running a moment before its run takes the lock, so a running job without
the lock counts as stalled only once its last change is older than
settings.LODE_IMPORT_STALLED_SECONDS. A stalled import is marked failed
(by the sweep, or when someone checks it again) and can then be checked and
started again.

A lock can be lost while its run lives: the lock's connection may drop (a
restarted proxy, a network blip, an administrator ending idle sessions).
A thread of the run looks at the connection every KEEP_SECONDS and, if it
is gone, connects again and takes the lock again. Should a sweep fail the
job in between, the run finds out before it commits: it locks its job's
row in the write's transaction and rolls back unless the job still runs,
so a job the sweep failed has had nothing written, as its message says.
The lock does not survive a transaction-pooling proxy (PgBouncer in
transaction mode) between Lode and PostgreSQL: the worker needs a direct
or session-pooled connection.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from accounts.models import ImportJob

logger = logging.getLogger(__name__)

# The first of the two advisory lock keys, the job's id being the second;
# a constant of ours that no other lock of the project uses.
LIVENESS_LOCK = 8_100_002
# How often a run looks whether its lock's connection is still there.
KEEP_SECONDS = 5.0

_LOCK_HELD = """
    SELECT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted
          AND database = (
              SELECT oid FROM pg_database WHERE datname = current_database()
          )
          AND classid = %s AND objid = %s AND objsubid = 2
    )
"""


def import_lock_path(*, job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "import-locks" / f"{job_id}.lock"


@contextmanager
def import_job_liveness(*, job_id: int) -> Iterator[None]:
    """Hold the job's liveness lock while the block runs."""
    if connection.vendor == "postgresql":
        with _advisory_lock_held(job_id):
            yield
    else:
        with _file_lock_held(job_id):
            yield


class ImportJobSwept(Exception):
    """The run's job was marked failed, as stalled, while the run still ran."""


def import_job_still_running(*, job: ImportJob) -> None:
    """Lock the job's row in the write's transaction; raise if the job no
    longer runs, so the write rolls back."""
    status = (
        ImportJob.objects.select_for_update()
        .filter(pk=job.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status != ImportJob.Status.RUNNING:
        raise ImportJobSwept(
            "it was taken for stalled and marked failed while it still ran, "
            "and rolled back. Nothing was written; check it again to retry."
        )


class _AdvisoryLock:
    """A session advisory lock on a connection of its own, taken again on a
    new connection whenever the old one drops."""

    def __init__(self, keys: list[int]) -> None:
        self.keys = keys
        self.own: Any = None
        # The driver itself, not get_new_connection(): a pooled connection
        # would go back to the pool with the lock still held.
        postgresql: Any = connection
        self.driver = postgresql.Database
        self.params = postgresql.get_connection_params()
        self.stop = threading.Event()

    def connect(self) -> Any:
        own = self.driver.connect(**self.params)
        own.autocommit = True
        return own

    def take(self) -> None:
        self.own = self.connect()
        with self.own.cursor() as cursor:
            # Waits only while a run of the same job still holds it.
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", self.keys)

    def keep(self) -> None:
        while not self.stop.wait(KEEP_SECONDS):
            try:
                with self.own.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except self.driver.Error:
                self._take_again()

    def _take_again(self) -> None:
        logger.warning(
            "import %s lost its liveness lock; taking it again", self.keys[1]
        )
        self.own.close()
        try:
            self.own = self.connect()
            with self.own.cursor() as cursor:
                # Not waiting: the run that holds it now, if any, is another.
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", self.keys)
                taken = cursor.fetchone()[0]
        except self.driver.Error:
            logger.warning("import %s could not reach the database", self.keys[1])
            return
        if not taken:
            logger.warning("import %s: another run holds its lock", self.keys[1])

    def release(self) -> None:
        try:
            with self.own.cursor() as cursor:
                # The server frees a closed session's locks only once it
                # sees the close; a run that ends says so at once.
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", self.keys)
        except self.driver.Error:
            pass  # A dropped connection holds nothing.
        finally:
            self.own.close()


@contextmanager
def _advisory_lock_held(job_id: int) -> Iterator[None]:
    lock = _AdvisoryLock([LIVENESS_LOCK, job_id])
    lock.take()
    keeper = threading.Thread(target=lock.keep, daemon=True)
    keeper.start()
    try:
        yield
    finally:
        lock.stop.set()
        keeper.join()
        lock.release()


@contextmanager
def _file_lock_held(job_id: int) -> Iterator[None]:
    path = import_lock_path(job_id=job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        # Removed while still held: a check that opens it from now on finds
        # no file, and one that opened it before sees the job finished.
        path.unlink(missing_ok=True)
        os.close(descriptor)


def import_job_alive(*, job_id: int) -> bool:
    """Return whether a process holds the job's liveness lock now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_HELD, [LIVENESS_LOCK, job_id])
            return bool(cursor.fetchone()[0])

    try:
        descriptor = os.open(import_lock_path(job_id=job_id), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        # Closing it frees the lock, if this check took it.
        os.close(descriptor)
    return False


def import_job_stalled(*, job: ImportJob) -> bool:
    """Return whether a running import's process has stopped."""
    if job.status != ImportJob.Status.RUNNING:
        return False
    bound = timedelta(seconds=settings.LODE_IMPORT_STALLED_SECONDS)
    if job.updated_at >= timezone.now() - bound:
        return False
    return not import_job_alive(job_id=job.pk)


def import_job_status_label(*, job: ImportJob) -> str:
    """Return the import's status as pages and the API name it."""
    if import_job_stalled(job=job):
        return "Stalled"
    return job.get_status_display()


def import_job_stalled_message(*, job: ImportJob, percent: int, message: str) -> str:
    started = f"{job.updated_at:%Y-%m-%d %H:%M:%S}"
    return (
        f"Stalled: the process that started it at {started} UTC stopped at "
        f"{percent}% ({message}). Nothing was written; check it again to retry."
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
    cache.delete(import_progress_cache_key(job.pk))


def import_jobs_stalled_fail() -> int:
    """Mark every stalled import failed; return how many."""
    running = ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
    return sum(import_job_stall_fail(job=job) for job in running)
