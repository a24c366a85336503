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

from accounts import streaming
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


# Known gap: three causes are fixed (the preview's head of up to 1,000 rows
# held for the whole run, the encoding check decoding 1 MB blocks, so a
# smaller file whole, and the reading and walking of reporting lines
# decoding every staged row's values). Under tracemalloc on SQLite, chunks
# of 100, the peak grew 630 B a row from 200 to 2,000 rows before them and
# 192 B a row after (159 B from 1,000 to 2,000), so the bound is not met.
# Partly a fill that stops: warmed up by a 2,000-row import first, the
# same comparison grew 61 and 99 B a row (two runs, 2026-12-05). Where it
# grows, measured step by step (2026-12-06, peaks of the 200- and 2,000-row
# imports): sorting the row report, 0.86 and 3.10 MB, the import's peak,
# since a report under RUN_LINES (200,000 lines) is sorted whole in memory,
# and with RUN_LINES at 100 it is merged from 40 open runs at once (0.70
# and 2.08 MB); setting managers, 1.97 and 2.60 MB; reading, 0.82 and
# 1.55 MB. Ruled out: Django's query log (empty, no
# debug cursor forced) and the on-commit capture (one callback an import,
# whatever its length). After each import only 141 objects were cyclic
# garbage, so it is not garbage left to the collector either. This test
# itself measured 604 B a row on SQLite and 610 B on PostgreSQL (once
# each, 2026-12-06, load average about 17).
@pytest.mark.xfail(
    reason="a people import's peak still grows with its rows", strict=False
)
def test_the_peak_memory_of_a_people_import_does_not_grow_with_its_rows(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given
    monkeypatch.setattr(streaming, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(wizard_people, "STAGE_ROWS", CHUNK)
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
