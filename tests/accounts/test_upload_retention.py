"""Ended imports lose their uploaded files after LODE_UPLOAD_KEEP_DAYS."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import ImportJob, MappedImport
from accounts.tasks import import_uploads_expired_delete_task
from accounts.upload_retention import import_uploads_expired_delete
from accounts.wizard import WizardError, mapped_import_create, mapped_import_reopen
from tests.test_settings import run_manage

pytestmark = pytest.mark.django_db

ACCOUNTS = b"Account Name,Industry\nPelican Paper Co,retail\n"
NOW = datetime(2027, 3, 10, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LODE_UPLOAD_KEEP_DAYS = 30


def _ended(ops, name: str, *, days_ago: float, status=ImportJob.Status.SUCCEEDED):
    """Upload a file as a wizard import that ended `days_ago` before NOW."""
    mapped = mapped_import_create(user=ops, files=[(name, ACCOUNTS)])
    folder = Path(mapped.job.source_directory)
    (folder / "report").mkdir()
    (folder / "report" / "rows.csv").write_text("file,line,result\n")
    ImportJob.objects.filter(pk=mapped.job_id).update(
        status=status, finished_at=NOW - timedelta(days=days_ago)
    )
    return mapped


def test_the_sweep_deletes_the_uploads_of_imports_ended_over_the_bound(ops) -> None:
    # given
    old = _ended(ops, "old.csv", days_ago=30.5)
    rejected = _ended(ops, "rejected.csv", days_ago=40, status="rejected")
    recent = _ended(ops, "recent.csv", days_ago=29.5)
    running = mapped_import_create(user=ops, files=[("running.csv", ACCOUNTS)])
    ImportJob.objects.filter(pk=running.job_id).update(status="running")

    # when
    swept = import_uploads_expired_delete(now=NOW)

    # then
    assert swept == [old.job_id, rejected.job_id]
    for mapped in (old, rejected):
        folder = Path(mapped.job.source_directory)
        assert sorted(path.name for path in folder.iterdir()) == ["report"]
        assert (folder / "report" / "rows.csv").read_text() == "file,line,result\n"
        assert ImportJob.objects.get(pk=mapped.job_id).uploads_removed_at == NOW
    assert (Path(recent.job.source_directory) / "recent.csv").is_file()
    assert (Path(running.job.source_directory) / "running.csv").is_file()
    assert set(
        ImportJob.objects.exclude(uploads_removed_at=None).values_list("pk", flat=True)
    ) == {old.job_id, rejected.job_id}
    assert import_uploads_expired_delete(now=NOW) == []


def test_a_folder_is_kept_while_a_retry_that_reads_it_is_recent(ops) -> None:
    # given: a retry of the bundled layout's import shares its folder
    first = _ended(ops, "accounts.csv", days_ago=45, status="rejected")
    folder = first.job.source_directory
    retry = ImportJob.objects.create(
        created_by=ops,
        source_directory=folder,
        status=ImportJob.Status.SUCCEEDED,
        finished_at=NOW - timedelta(days=3),
    )

    # when
    kept = import_uploads_expired_delete(now=NOW)
    swept = import_uploads_expired_delete(now=NOW + timedelta(days=28))

    # then
    assert kept == []
    assert swept == [first.job_id, retry.pk]
    assert sorted(path.name for path in Path(folder).iterdir()) == ["report"]


def test_a_directory_named_on_the_command_line_is_never_touched(
    ops, tmp_path: Path
) -> None:
    directory = tmp_path / "crm-export"
    directory.mkdir()
    (directory / "accounts.csv").write_bytes(ACCOUNTS)
    job = ImportJob.objects.create(
        source_directory=str(directory),
        status=ImportJob.Status.SUCCEEDED,
        finished_at=NOW - timedelta(days=400),
    )

    assert import_uploads_expired_delete(now=NOW) == []

    assert (directory / "accounts.csv").read_bytes() == ACCOUNTS
    assert ImportJob.objects.get(pk=job.pk).uploads_removed_at is None


def test_an_import_whose_uploads_are_gone_cannot_be_started_again(client, ops) -> None:
    # given
    mapped = _ended(ops, "old.csv", days_ago=31, status="rejected")
    import_uploads_expired_delete(now=NOW)
    said = (
        f"The uploaded files of import {mapped.job_id} were deleted on "
        "10 Mar 2027, 30 days after it ended; upload them again to import them."
    )
    client.force_login(ops)

    # when
    with pytest.raises(WizardError) as refused:
        mapped_import_reopen(mapped=MappedImport.objects.get(pk=mapped.pk))
    answer = client.post(f"/api/accounts/imports/{mapped.job_id}/reopen/")
    job_data = client.get(f"/api/accounts/imports/{mapped.job_id}/").json()
    page = client.get(reverse("accounts:wizard_report", args=[mapped.job_id]))

    # then
    assert str(refused.value) == said
    assert answer.status_code == 400
    assert answer.json() == {"non_field_errors": [said]}
    assert job_data["uploads_removed_at"] == "2027-03-10T04:00:00Z"
    assert ImportJob.objects.get(pk=mapped.job_id).status == "rejected"
    html = page.content.decode()
    assert f'id="uploads-removed">{said} The row report is kept.</p>' in html
    assert 'id="reopen-import"' not in html
    # Ended on another day than it started: the day is said too.
    assert "· finished 7 Feb 2027 04:00:00" in html


def test_beat_sweeps_expired_uploads_every_night(ops) -> None:
    from celery.schedules import crontab

    from config.celery import app

    app.finalize(auto=True)
    schedule = {
        entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()
    }
    old = _ended(ops, "old.csv", days_ago=10_000)

    import_uploads_expired_delete_task.delay().get()

    assert schedule["accounts.tasks.import_uploads_expired_delete_task"] == crontab(
        hour=3, minute=45
    )
    assert not (Path(old.job.source_directory) / "old.csv").exists()


def test_a_keep_time_under_one_day_is_refused() -> None:
    result = run_manage("check", LODE_UPLOAD_KEEP_DAYS="0")

    assert result.returncode != 0
    assert "LODE_UPLOAD_KEEP_DAYS must be 1 or more, not 0" in result.stderr
