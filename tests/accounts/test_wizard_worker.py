"""Wizard imports run by a real Celery worker on Redis and PostgreSQL."""

import time
from pathlib import Path

import pytest

from accounts.models import Account, ImportJob
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_start,
)
from scoring.models import ScoreRun

pytestmark = pytest.mark.worker

WIZARD = Path(__file__).parent / "fixtures" / "wizard"


def test_a_worker_imports_a_confirmed_upload_and_a_score_run_follows(
    celery_worker: None, settings, tmp_path: Path
) -> None:
    # given
    settings.MEDIA_ROOT = tmp_path
    mapped = mapped_import_create_from_paths(
        user=None,
        paths=[
            WIZARD / "accounts_semicolon.csv",
            WIZARD / "opportunities_semicolon.csv",
        ],
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when the go-ahead is committed, the task goes to Redis
    job = mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, (job.error, job.issues)
    assert Account.objects.count() == 2
    while time.monotonic() < deadline:
        run = ScoreRun.objects.filter(trigger="import").first()
        if run is not None and run.status == ScoreRun.Status.SUCCEEDED:
            break
        time.sleep(0.2)
    else:
        pytest.fail("no score run followed the import")
    assert run.accounts_scored == 2
