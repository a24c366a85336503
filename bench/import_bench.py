"""Import: the importer end to end against a raw COPY of the same rows."""

import io
import time
from pathlib import Path

import pandas as pd
from django.db import connection

from accounts.importing import maven_tables_read
from accounts.services import maven_import_directory
from bench.results import Figure

# Tables equivalent to what the importer stores, keyed the same way, so the
# COPY baseline pays for the same unique indexes.
COPY_TABLES = {
    "teams": "name text primary key, region text, manager_username text",
    "users": (
        "username text primary key, first_name text, last_name text, "
        "full_name text, role text, team_name text"
    ),
    "products": "name text primary key, series text, list_price numeric(14, 2)",
    "accounts": (
        "name text primary key, sector text, year_established smallint, "
        "annual_revenue_musd numeric(14, 2), employees integer, country text, "
        "parent_name text"
    ),
    "opportunities": (
        "external_id text primary key, account_name text, product_name text, "
        "owner_username text, stage text, engaged_on date, closed_on date, "
        "close_value numeric(14, 2)"
    ),
    "revenue_lines": (
        "account_name text, product_name text, quarter_start date, "
        "amount numeric(16, 2), primary key (account_name, product_name, "
        "quarter_start)"
    ),
    "account_team": (
        "account_name text, username text, primary key (account_name, username)"
    ),
}


def _csv_buffer(frame: pd.DataFrame) -> io.StringIO:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N", sep="\t")
    buffer.seek(0)
    return buffer


def copy_baseline(*, folder: Path) -> float:
    """Return the seconds to COPY the importer's cleaned rows into tables."""
    tables = maven_tables_read(directory=folder)
    buffers = {name: _csv_buffer(getattr(tables, name)) for name in COPY_TABLES}
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS bench_copy CASCADE")
        cursor.execute("CREATE SCHEMA bench_copy")
        for name, columns in COPY_TABLES.items():
            cursor.execute(f"CREATE TABLE bench_copy.{name} ({columns})")
    raw.commit()

    started = time.perf_counter()
    with raw.cursor() as cursor:
        for name in COPY_TABLES:
            cursor.copy_expert(
                f"COPY bench_copy.{name} FROM STDIN WITH (FORMAT text)", buffers[name]
            )
    raw.commit()
    seconds = time.perf_counter() - started

    with raw.cursor() as cursor:
        cursor.execute("DROP SCHEMA bench_copy CASCADE")
    raw.commit()
    return seconds


def import_benchmark(*, folder: Path, lines: int) -> list[Figure]:
    """Import the folder through the service, then time the COPY floor."""
    started = time.perf_counter()
    job = maven_import_directory(directory=folder)
    import_seconds = time.perf_counter() - started
    if job.status != job.Status.SUCCEEDED:
        raise RuntimeError(f"the import failed: {job.status} {job.error}")
    note = f"{lines:,} pipeline lines, job {job.status}"

    baseline = None
    if connection.vendor == "postgresql":
        baseline = copy_baseline(folder=folder)
    else:
        note += "; COPY baseline needs PostgreSQL"

    started = time.perf_counter()
    again = maven_import_directory(directory=folder)
    repeat_seconds = time.perf_counter() - started
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
    ]
