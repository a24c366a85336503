"""Import: the importer end to end against a raw COPY of the same rows."""

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


def copy_baseline() -> float:
    """Return the seconds to COPY the rows the import stored into twins.

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

        started = time.perf_counter()
        # One transaction, as the import's: deferred foreign keys are checked
        # when it commits, inside the timing.
        with transaction.atomic(), connection.cursor() as cursor:
            for table, spool in spools.items():
                cursor.copy_expert(
                    f"COPY {SCHEMA}.{table} FROM STDIN WITH (FORMAT text)", spool
                )
        seconds = time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    return seconds


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
    started = time.perf_counter()
    job = maven_import_directory(directory=folder, progress=phases.mark)
    import_seconds = time.perf_counter() - started
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
        baseline = copy_baseline()
        indexes = index_count(table=Opportunity._meta.db_table)
        note += (
            "; baseline: COPY of the stored rows into twin tables with the same "
            f"indexes ({indexes} on opportunities) and deferred foreign keys"
        )
    else:
        note += "; COPY baseline needs PostgreSQL"

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
