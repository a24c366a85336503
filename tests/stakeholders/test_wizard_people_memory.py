"""A people file is imported in bounded memory, whatever its length.

The rows are synthetic, written by the bench's people writer (see
tests/stakeholders/people_files.py).
"""

import os
import tracemalloc
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import row_report, streaming
from accounts.models import ImportJob
from accounts.wizard import mapped_import_run
from stakeholders import wizard_people
from stakeholders.models import PersonImportRow, Stakeholder
from tests.stakeholders.people_files import (
    ACCOUNTS,
    started_people_import,
    synthetic_accounts,
)

pytestmark = pytest.mark.django_db

# Rows per chunk (read and staged), and the two file lengths compared:
# small by default, so the suite stays quick; LODE_PEOPLE_MEMORY=
# "5000,20000,100000" measures the issue's sizes.
CHUNK, SMALL, LARGE = (
    int(n) for n in os.environ.get("LODE_PEOPLE_MEMORY", "100,200,2000").split(",")
)
# What a row may add to the peak. Anything an import kept for each row (its
# cells, an id in a set, a name in a dict) costs more than this; what is
# left is noise of a few kilobytes between runs.
BYTES_PER_ROW = 50


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def peak_import(tmp_path: Path, rows: int, capture) -> int:
    """Import a synthetic file of `rows` people; return the peak bytes."""
    mapped = started_people_import(tmp_path / f"synthetic_people_{rows}.csv", rows)

    tracemalloc.start()
    try:
        with capture(execute=False):
            job = mapped_import_run(mapped=mapped)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues[:3]
    assert job.counts["People"]["created"] == rows
    return peak


# Known gap: five causes are fixed (the preview's head of up to 1,000 rows
# held for the whole run, the encoding check decoding 1 MB blocks, so a
# smaller file whole, the reading and walking of reporting lines decoding
# every staged row's values, the row report sorted whole in memory below
# 200,000 lines and merged from every run at once above, and the managers
# of created people set through model instances and bulk_update). The
# sort now holds one run of about RUN_BYTES, or MERGE_FAN_IN open runs;
# created people's managers are set by statements on the stage. Measured
# step by step under tracemalloc on SQLite, chunks of 100, 200 against
# 2,000 rows (2026-12-06): setting managers' peak went from 2.04 and
# 2.64 MB to 0.82 and 0.79 MB; this test went from 598 to 82 B a row on
# SQLite and measured 144 B a row on PostgreSQL (once each, load average
# about 11), so the bound is not met yet. What is left grows while the
# file is read: the memory traced at each chunk's write rises from chunk
# to chunk (by about 290 B a row), yet a full collection at the end of
# reading frees it (0.18 and 0.48 MB) with no unreachable object found,
# so part is Python's free lists; snapshots between the 2nd and the 10th
# chunk also kept more cells from the CSV reader and more of bulk_create's
# placeholder tuples. Which holder keeps those cells is not found yet.
# Ruled out before: Django's query log (empty, no debug cursor forced),
# the on-commit capture (one callback an import) and cyclic garbage.
@pytest.mark.xfail(
    reason="a people import's peak still grows with its rows", strict=False
)
def test_the_peak_memory_of_a_people_import_does_not_grow_with_its_rows(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given
    monkeypatch.setattr(streaming, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(wizard_people, "STAGE_ROWS", CHUNK)
    # The report sorted in runs of about CHUNK rows, merged four at a time:
    # both files' reports reach those bounds.
    monkeypatch.setattr(row_report, "RUN_BYTES", CHUNK * 2 * row_report.LINE_OVERHEAD)
    monkeypatch.setattr(row_report, "MERGE_FAN_IN", 4)
    synthetic_accounts()
    # A first import fills what a process keeps once (imported modules,
    # content types, compiled patterns), which would count in the smaller
    # file's peak alone.
    peak_import(tmp_path, SMALL, django_capture_on_commit_callbacks)
    Stakeholder.objects.all().delete()

    # when
    small = peak_import(tmp_path, SMALL, django_capture_on_commit_callbacks)
    Stakeholder.objects.all().delete()
    large = peak_import(tmp_path, LARGE, django_capture_on_commit_callbacks)

    # then
    per_row = (large - small) / (LARGE - SMALL)
    print(f"peak: {SMALL:,} rows {small:,} B; {LARGE:,} rows {large:,} B")
    assert Stakeholder.objects.filter(reports_to=None).count() == ACCOUNTS
    assert PersonImportRow.objects.count() == 0
    assert per_row < BYTES_PER_ROW, f"the peak grew {per_row:.0f} B a row"


def test_an_import_deletes_its_staged_people_rows_in_one_statement(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 100)
    monkeypatch.setattr(wizard_people, "STAGE_ROWS", 100)
    synthetic_accounts()
    mapped = started_people_import(tmp_path / "synthetic_people.csv", 300)

    # when
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=False),
    ):
        job = mapped_import_run(mapped=mapped)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED
    assert Stakeholder.objects.exclude(reports_to=None).count() == 250
    assert PersonImportRow.objects.count() == 0
    # Django's delete would have read the rows back and nulled their links.
    deletes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('DELETE FROM "stakeholders_personimportrow"')
    ]
    assert deletes == [
        f'DELETE FROM "stakeholders_personimportrow" WHERE job_id = {job.pk}'
    ]
