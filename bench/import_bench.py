"""Import: the importer end to end against a raw COPY of the same rows."""

import os
import re
import resource
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Model

from accounts.models import (
    Account,
    AccountTeamMember,
    Opportunity,
    Product,
    RevenueLine,
    RevenueQuarter,
    Team,
    User,
)
from accounts.services import maven_import_directory
from bench.results import Figure

# The tables the importer writes, in an order COPY can fill them in. Their
# foreign keys are deferred to the commit, as Django declares them, so the
# team and user tables, which point at each other, load in either order.
COPY_MODELS = [
    Team,
    User,
    Product,
    Account,
    Opportunity,
    RevenueLine,
    # The quarter sums the import's triggers keep are stored rows too.
    RevenueQuarter,
    AccountTeamMember,
]
SCHEMA = "bench_copy"
_REFERENCE = re.compile(r"REFERENCES\s+(?:public\.)?\"?(\w+)\"?\s*\(")


def _stored_rows(
    cursor: CursorWrapper, *, model: type[Model], spool: IO[bytes]
) -> None:
    """Write the rows the import stored in a table to a spool, as COPY text.

    On disk, as the import's CSV files are, and out of the process's memory,
    so the bench's peak memory stays the importer's.
    """
    table = model._meta.db_table
    key = ", ".join(str(field.column) for field in model._meta.pk_fields)
    cursor.copy_expert(f"COPY (SELECT * FROM {table} ORDER BY {key}) TO STDOUT", spool)
    spool.seek(0)


def _twin_tables_create(cursor: CursorWrapper, tables: list[str]) -> None:
    """Create empty twins of our tables: same columns, indexes, keys, checks.

    LIKE ... INCLUDING ALL copies defaults, checks, indexes and unique
    constraints; foreign keys are copied from the catalogue, pointing at the
    twins, with the same deferral.
    """
    cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    cursor.execute(f"CREATE SCHEMA {SCHEMA}")
    for table in tables:
        cursor.execute(
            f"CREATE TABLE {SCHEMA}.{table} (LIKE public.{table} INCLUDING ALL)"
        )
    cursor.execute(
        "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) "
        "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE k.contype = 'f' AND n.nspname = 'public' AND c.relname = ANY(%s)",
        [tables],
    )
    for table, name, definition in cursor.fetchall():
        reference = _REFERENCE.search(definition)
        if reference is None:
            raise ValueError(f"foreign key {name} names no table: {definition}")
        target = reference.group(1)
        if target in tables:
            definition = _REFERENCE.sub(
                f"REFERENCES {SCHEMA}.{target}(", definition, count=1
            )
        cursor.execute(
            f"ALTER TABLE {SCHEMA}.{table} ADD CONSTRAINT {name} {definition}"
        )


def index_count(*, table: str, schema: str = "public") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
            [schema, table],
        )
        return cursor.fetchone()[0]


def backend_cpu() -> float | None:
    """Return the CPU seconds our PostgreSQL backend has used, if it is local.

    Read from /proc, so only for a server on this machine; None elsewhere
    and on SQLite, which has no backend of its own.
    On a shared machine the wall clock grows with everyone's load, while
    the CPU a piece of work takes does not.
    """
    return backend_cpu_of(backend_pid())


def backend_pid() -> int | None:
    """Return our PostgreSQL backend's process id; None on SQLite."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_cpu_of(pid: int | None) -> float | None:
    """Return the CPU seconds PostgreSQL backend `pid` has used, from /proc.

    Reads no database, so it can be called between timed requests.
    """
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # After the parenthesised name: utime and stime are the 12th and 13th.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spent(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def copy_baseline() -> tuple[float, float | None]:
    """Return the seconds to COPY the rows the import stored into twins.

    And the CPU seconds the backend spent on it, when it can be read.

    The rows are those the first import wrote, with their ids and foreign
    keys resolved, read back before the clock starts. The twins carry the
    same indexes, unique constraints and foreign keys as our tables, so the
    ratio measures the importer's own overhead: reading, checking, staging
    and resolving names, not the cost of maintaining the indexes.
    """
    tables = [model._meta.db_table for model in COPY_MODELS]
    with ExitStack() as stack:
        spools = {
            table: stack.enter_context(tempfile.TemporaryFile()) for table in tables
        }
        with connection.cursor() as cursor:
            for model in COPY_MODELS:
                _stored_rows(cursor, model=model, spool=spools[model._meta.db_table])
            _twin_tables_create(cursor, tables)

        cpu = backend_cpu()
        started = time.perf_counter()
        # One transaction, as the import's: deferred foreign keys are checked
        # when it commits, inside the timing.
        with transaction.atomic(), connection.cursor() as cursor:
            for table, spool in spools.items():
                cursor.copy_expert(
                    f"COPY {SCHEMA}.{table} FROM STDIN WITH (FORMAT text)", spool
                )
        seconds = time.perf_counter() - started
        cpu = _spent(cpu, backend_cpu())

    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    return seconds, cpu


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


class _Phases:
    """Seconds between the import's progress messages."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, str]] = [(time.perf_counter(), "start")]

    def mark(self, percent: int, message: str) -> None:
        self.marks.append((time.perf_counter(), message))

    def summary(self) -> str:
        return "; ".join(
            f"{message} {later - earlier:.1f} s"
            for (earlier, message), (later, _) in zip(
                self.marks, self.marks[1:], strict=False
            )
        )


def import_benchmark(*, folder: Path, lines: int) -> list[Figure]:
    """Import the folder through the service, then time the COPY floor."""
    phases = _Phases()
    # The process's CPU counts the COPY thread of the staging sink too.
    python_started, pg_started = time.process_time(), backend_cpu()
    started = time.perf_counter()
    job = maven_import_directory(directory=folder, progress=phases.mark)
    import_seconds = time.perf_counter() - started
    python_cpu = time.process_time() - python_started
    pg_cpu = _spent(pg_started, backend_cpu())
    load = _load()
    # "Done" lasts until the commit has checked the deferred foreign keys.
    phases.mark(100, "returned")
    sys.stdout.write(f"import phases: {phases.summary()}\n")
    # The high-water mark so far: the process has only imported yet.
    import_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if job.status != job.Status.SUCCEEDED:
        raise RuntimeError(f"the import failed: {job.status} {job.error}")
    note = f"{lines:,} pipeline lines, job {job.status}"

    baseline = None
    if connection.vendor == "postgresql":
        baseline, copy_cpu = copy_baseline()
        indexes = index_count(table=Opportunity._meta.db_table)
        note += (
            "; baseline: COPY of the stored rows into twin tables with the same "
            f"indexes ({indexes} on opportunities) and deferred foreign keys"
        )
        if pg_cpu is not None and copy_cpu:
            own = python_cpu + pg_cpu
            note += (
                f"; CPU: import {own:.2f} s (Python {python_cpu:.2f}, PostgreSQL "
                f"{pg_cpu:.2f}), COPY {copy_cpu:.2f} s, {own / copy_cpu:.2f}x"
            )
    else:
        note += "; COPY baseline needs PostgreSQL"
    note += f"; phases: {phases.summary()}; load average after the import {load}"

    phases = _Phases()
    started = time.perf_counter()
    again = maven_import_directory(directory=folder, progress=phases.mark)
    repeat_seconds = time.perf_counter() - started
    phases.mark(100, "returned")
    sys.stdout.write(f"re-import phases: {phases.summary()}\n")
    return [
        Figure(
            benchmark="import, CSV to stored rows (maven_import_directory)",
            value=import_seconds,
            unit="s",
            baseline=baseline,
            target="<= 1.5x COPY at 100k and 1M lines",
            note=note,
        ),
        Figure(
            benchmark="re-import of the same files (no changes)",
            value=repeat_seconds,
            unit="s",
            baseline=baseline,
            note=f"job {again.status}",
        ),
        Figure(
            benchmark="peak memory after the first import",
            value=import_peak,
            unit="MB",
            note=f"{lines:,} pipeline lines; the process has done nothing else yet",
        ),
    ]
