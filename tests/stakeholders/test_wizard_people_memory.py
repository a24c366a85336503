"""A people file is imported in bounded memory, whatever its length.

The rows are synthetic, written by the bench's people writer (see
tests/stakeholders/people_files.py).
"""

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import streaming
from accounts.models import ImportJob
from accounts.wizard import mapped_import_run
from stakeholders import wizard_people
from stakeholders.models import PersonImportRow, Stakeholder
from tests.import_memory import (
    BYTES_PER_ROW,
    import_bounds_scale,
    import_peak,
    memory_sizes,
)
from tests.stakeholders.people_files import (
    ACCOUNTS,
    started_people_import,
    synthetic_accounts,
)

pytestmark = pytest.mark.django_db

# Rows per chunk (read and staged), and the two file lengths compared;
# LODE_PEOPLE_MEMORY="5000,20000,100000" measures the issue's sizes.
CHUNK, SMALL, LARGE = memory_sizes("LODE_PEOPLE_MEMORY")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def peak_import(tmp_path: Path, rows: int, capture) -> int:
    """Import a synthetic file of `rows` people; return the peak bytes."""
    mapped = started_people_import(tmp_path / f"synthetic_people_{rows}.csv", rows)

    job, peak = import_peak(mapped=mapped, capture=capture)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues[:3]
    assert job.counts["People"]["created"] == rows
    return peak


# Six causes were fixed: the preview's head held for the whole run, the
# encoding check decoding 1 MB blocks, the reporting lines decoding every
# staged row's values, the row report sorted whole, the managers of created
# people set through model instances, and the run reading a second chunk
# past the preview's head only to count the file (which held 1,000 rows
# beside the head's 1,000). What grew while the file was read was not the
# import's: CPython's free list of 16-item tuples took one tuple a staged
# row (sys._debugmallocstats, 2026-12-06: 225, 325, 1,025, then 1,925 at
# the 2nd, 3rd, 10th and 19th chunk of 100), to its cap of 2,000; the
# peak grew 72 B a row from 200 to 2,000 rows, 97 from 2,000 to 4,000 and
# 15.5 from 4,000 to 8,000, as a bounded cost does.
def test_the_peak_memory_of_a_people_import_does_not_grow_with_its_rows(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given
    import_bounds_scale(monkeypatch, chunk=CHUNK)
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
