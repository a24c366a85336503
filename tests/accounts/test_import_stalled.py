"""An import whose process died is shown stalled, marked failed, run again."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import import_liveness
from accounts.import_liveness import (
    import_job_alive,
    import_job_liveness,
    import_job_stalled,
    import_jobs_stalled_fail,
)
from accounts.models import Account, ImportJob, MappedImport, User
from accounts.services import import_progress_cache_key
from accounts.tasks import import_jobs_stalled_fail_task
from accounts.wizard import (
    mapped_import_create,
    mapped_import_mapping_accept,
    mapped_import_reopen,
    mapped_import_run,
    mapped_import_start,
    row_report_path,
)

ACCOUNTS = b"Account Name,Employees\nPelican Paper Co,120\nGull Bank,3400\n"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def started(user: User, content: bytes = ACCOUNTS) -> MappedImport:
    mapped = mapped_import_create(user=user, files=[("accounts.csv", content)])
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    return mapped


def killed_at(mapped: MappedImport, *, minutes_ago: int) -> ImportJob:
    """Leave the job as a process that died while writing accounts leaves it."""
    last = timezone.now() - timedelta(minutes=minutes_ago)
    ImportJob.objects.filter(pk=mapped.job_id).update(
        status=ImportJob.Status.RUNNING,
        progress=2,
        progress_message="Reading the files",
        updated_at=last,
    )
    cache.set(import_progress_cache_key(mapped.job_id), (30, "Writing accounts"))
    return ImportJob.objects.get(pk=mapped.job_id)


@pytest.mark.django_db
def test_an_import_silent_past_the_bound_shows_stalled(ops: User) -> None:
    # given
    mapped = started(ops)
    job = killed_at(mapped, minutes_ago=5)
    api = APIClient()
    api.force_authenticate(user=ops)

    # when
    detail = api.get(f"/api/accounts/imports/{mapped.job_id}/").json()

    # then
    assert (detail["status"], detail["status_label"], detail["progress"]) == (
        "running",
        "Stalled",
        30,
    )
    assert detail["message"] == (
        "Stalled: the process that started it at "
        f"{job.updated_at:%Y-%m-%d %H:%M:%S} UTC stopped at 30% (Writing "
        "accounts). Nothing was written; check it again to retry."
    )


@pytest.mark.django_db
def test_a_live_import_holds_its_lock_and_is_not_stalled(ops: User) -> None:
    mapped = started(ops)
    job = killed_at(mapped, minutes_ago=5)

    with import_job_liveness(job_id=job.pk):
        alive = import_job_alive(job_id=job.pk)
        stalled = import_job_stalled(job=job)
        swept = import_jobs_stalled_fail()

    assert (alive, stalled, swept) == (True, False, 0)
    assert ImportJob.objects.get(pk=job.pk).status == "running"
    assert import_job_alive(job_id=job.pk) is False
    assert import_job_stalled(job=job) is True


@pytest.mark.django_db
def test_a_job_marked_running_within_the_bound_is_not_stalled_yet(
    ops: User,
) -> None:
    # A run marks its job running a moment before it takes the lock.
    mapped = started(ops)
    job = killed_at(mapped, minutes_ago=1)

    assert import_job_alive(job_id=job.pk) is False
    assert import_job_stalled(job=job) is False


@pytest.mark.django_db
def test_the_sweep_fails_a_stalled_import_and_it_runs_again(ops: User) -> None:
    # given: a run killed while writing, its row report half written
    mapped = started(ops)
    job = killed_at(mapped, minutes_ago=5)
    report = row_report_path(job=job)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("accounts.csv,2,created,Pelican Paper Co,,\n")
    last = job.updated_at

    # when
    import_jobs_stalled_fail_task()

    # then
    job.refresh_from_db()
    assert (job.status, job.progress_message) == (
        ImportJob.Status.FAILED,
        "Failed: its process stopped",
    )
    assert job.error == (
        f"the process that started it at {last:%Y-%m-%d %H:%M:%S} UTC stopped "
        "at 30% (Writing accounts). Nothing was written; check it again to "
        "retry."
    )
    assert not report.exists()
    assert Account.objects.count() == 0

    # when: checked and started again
    mapped = MappedImport.objects.get(pk=mapped.pk)
    mapped_import_reopen(mapped=mapped)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    again = mapped_import_run(mapped=mapped)

    # then
    assert again.status == ImportJob.Status.SUCCEEDED, again.issues
    assert sorted(Account.objects.values_list("name", "employees")) == [
        ("Gull Bank", 3400),
        ("Pelican Paper Co", 120),
    ]


@pytest.mark.django_db
def test_a_stalled_import_reopens_and_discards_through_the_api(ops: User) -> None:
    # given
    mapped = started(ops)
    killed_at(mapped, minutes_ago=5)
    api = APIClient()
    api.force_authenticate(user=ops)

    # when
    reopened = api.post(f"/api/accounts/imports/{mapped.job_id}/reopen/")
    discarded = api.post(f"/api/accounts/imports/{mapped.job_id}/discard/")

    # then
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["status"] == "pending"
    assert discarded.status_code == 204, discarded.content
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_a_running_import_within_the_bound_is_not_reopened(ops: User) -> None:
    mapped = started(ops)
    killed_at(mapped, minutes_ago=1)

    api = APIClient()
    api.force_authenticate(user=ops)
    response = api.post(f"/api/accounts/imports/{mapped.job_id}/reopen/")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Only a rejected, failed or stalled import can be started again."
        ]
    }
    assert ImportJob.objects.get(pk=mapped.job_id).status == "running"


def wait_for(check, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def closed_port() -> Iterator[int]:
    """Hold a port on 127.0.0.1 that listens to nothing: connections fail."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def accounts_export(folder: Path, *, rows: int) -> Path:
    export = folder / "accounts.csv"
    lines = "".join(f"Killed Co {number},{number}\n" for number in range(rows))
    export.write_text("Account Name,Employees\n" + lines)
    return export


def import_process(
    export: Path, *, redis_url: str, media: Path
) -> subprocess.Popen[bytes]:
    """Start the command-line import in a process of its own, on this
    test's database, with the Redis (or none) given."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{database['NAME']}"
    else:
        url = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(media),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_files", str(export), "--yes"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def running_job() -> ImportJob:
    return wait_for(
        lambda: ImportJob.objects.filter(status="running").first(),
        seconds=300,
        what="the import to start",
    )


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_process_leaves_nothing_and_runs_again(
    postgres, redis_url: str, ops: User, settings, tmp_path: Path
) -> None:
    # given: 40,000 new accounts imported by the command line in a process
    # of its own, on this test's database and Redis
    export = accounts_export(tmp_path, rows=40_000)
    process = import_process(export, redis_url=redis_url, media=settings.MEDIA_ROOT)

    # when: it is killed while it writes the accounts
    try:
        job = running_job()
        wait_for(
            lambda: str(
                (cache.get(import_progress_cache_key(job.pk)) or (0, ""))[1]
            ).startswith("Writing accounts"),
            seconds=300,
            what="the import to write accounts",
        )
        assert import_job_alive(job_id=job.pk) is True
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)

    # then: nothing of it was written, and once past the bound it is
    # stalled, swept to failed, and runs again from the check
    settings.LODE_IMPORT_STALLED_SECONDS = 1
    time.sleep(1.5)
    wait_for(
        lambda: not import_job_alive(job_id=job.pk),
        seconds=30,
        what="PostgreSQL to free the killed process's lock",
    )
    job.refresh_from_db()
    assert job.status == "running"
    assert Account.objects.count() == 0
    api = APIClient()
    api.force_authenticate(user=ops)
    detail = api.get(f"/api/accounts/imports/{job.pk}/").json()
    assert detail["status_label"] == "Stalled"
    assert detail["message"].startswith(
        "Stalled: the process that started it at "
        f"{job.updated_at:%Y-%m-%d %H:%M:%S} UTC stopped at 30% (Writing accounts"
    )

    assert import_jobs_stalled_fail() == 1
    reopened = api.post(f"/api/accounts/imports/{job.pk}/reopen/")
    assert reopened.status_code == 200, reopened.content
    mapped = MappedImport.objects.get(job_id=job.pk)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    again = mapped_import_run(mapped=mapped)
    assert again.status == ImportJob.Status.SUCCEEDED, again.issues
    assert again.counts["Accounts"]["created"] == 40_000
    assert Account.objects.count() == 40_000


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_process_is_stalled_without_redis(
    ops: User, settings, tmp_path: Path
) -> None:
    # given: an import by the command line with no Redis at all, on this
    # test's database (SQLite by default, PostgreSQL in CI)
    export = accounts_export(tmp_path, rows=40_000)
    process = import_process(export, redis_url="", media=settings.MEDIA_ROOT)

    # when: it is killed while it runs
    try:
        job = running_job()
        wait_for(
            lambda: import_job_alive(job_id=job.pk),
            seconds=60,
            what="the import to take its lock",
        )
        time.sleep(1)
        assert process.poll() is None
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)

    # then
    settings.LODE_IMPORT_STALLED_SECONDS = 1
    time.sleep(1.5)
    wait_for(
        lambda: not import_job_alive(job_id=job.pk),
        seconds=30,
        what="the killed process's lock to be freed",
    )
    api = APIClient()
    api.force_authenticate(user=ops)
    detail = api.get(f"/api/accounts/imports/{job.pk}/").json()
    assert (detail["status"], detail["status_label"]) == ("running", "Stalled")
    assert import_jobs_stalled_fail() == 1
    job.refresh_from_db()
    assert (job.status, job.progress_message) == (
        "failed",
        "Failed: its process stopped",
    )
    assert Account.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_live_import_with_redis_unreachable_is_not_swept_and_finishes(
    postgres, ops: User, settings, tmp_path: Path, closed_port: int
) -> None:
    # given: this test's cache and the import's process both pointed at a
    # port of 127.0.0.1 where no Redis listens, so no beat could reach
    # any cache, and a bound of one second
    unreachable = f"redis://127.0.0.1:{closed_port}/2"
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": unreachable,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.LODE_IMPORT_STALLED_SECONDS = 1
    export = accounts_export(tmp_path, rows=40_000)
    process = import_process(export, redis_url=unreachable, media=settings.MEDIA_ROOT)
    api = APIClient()
    api.force_authenticate(user=ops)

    # when: it is still writing past the bound, and the sweep runs
    try:
        job = running_job()
        wait_for(
            lambda: import_job_alive(job_id=job.pk),
            seconds=60,
            what="the import to take its lock",
        )
        past = (job.updated_at - timezone.now()).total_seconds() + 1.5
        time.sleep(max(past, 0))
        swept = import_jobs_stalled_fail()
        detail = api.get(f"/api/accounts/imports/{job.pk}/").json()
        writing = process.poll() is None
        finished = process.wait(timeout=600)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=60)

    # then: it was not taken for dead, and it finished
    assert (swept, writing) == (0, True)
    assert (detail["status"], detail["status_label"]) == ("running", "Running")
    assert finished == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.counts["Accounts"]["created"] == 40_000
    assert Account.objects.count() == 40_000


@pytest.mark.django_db
def test_the_report_page_offers_a_stalled_import_back_to_the_check(
    ops: User,
) -> None:
    # given
    mapped = started(ops)
    job = killed_at(mapped, minutes_ago=5)
    client = Client()
    client.force_login(ops)
    report = reverse("accounts:wizard_report", args=[job.pk])

    # when
    page = client.get(report)
    reopened = client.post(reverse("accounts:wizard_reopen", args=[job.pk]))

    # then
    html = page.content.decode()
    assert (
        '<p id="import-message">Stalled: the process that started it at '
        f"{job.updated_at:%Y-%m-%d %H:%M:%S} UTC stopped at 30% (Writing "
        "accounts). Nothing was written; check it again to retry.</p>"
    ) in html
    assert 'class="status status-stalled" id="import-status">Stalled</span>' in html
    assert 'id="reopen-import"' in html
    assert reopened.status_code == 302
    assert reopened["Location"] == reverse("accounts:wizard_check", args=[job.pk])
    assert ImportJob.objects.get(pk=job.pk).status == "pending"


@pytest.mark.django_db
def test_the_recent_imports_say_stalled_and_offer_the_check(ops: User) -> None:
    # given: one import stalled, one still within the bound
    stalled = started(ops)
    killed_at(stalled, minutes_ago=5)
    running = started(ops)
    killed_at(running, minutes_ago=1)
    client = Client()
    client.force_login(ops)
    api = APIClient()
    api.force_authenticate(user=ops)

    # when
    html = client.get(reverse("accounts:wizard")).content.decode()
    bundled_html = client.get(reverse("accounts:import")).content.decode()
    listed = api.get("/api/accounts/imports/").json()["results"]

    # then
    reopen = reverse("accounts:wizard_reopen", args=[stalled.job_id])
    assert html.count('<span class="status status-stalled">Stalled</span>') == 1
    assert html.count('<span class="status status-running">Running</span>') == 1
    assert f'<form method="post" action="{reopen}" class="reopen-form">' in html
    assert reverse("accounts:wizard_reopen", args=[running.job_id]) not in html
    assert bundled_html.count('<span class="status status-stalled">Stalled</span>') == 1
    assert [(item["id"], item["status_label"]) for item in listed] == [
        (running.job_id, "Running"),
        (stalled.job_id, "Stalled"),
    ]


def lock_holder(job_id: int) -> int | None:
    """Return the server process that holds the job's liveness lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objid = %s",
            [import_liveness.LIVENESS_LOCK, job_id],
        )
        found = cursor.fetchone()
    return found[0] if found else None


def backend_end(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_lock_connection_drops_takes_the_lock_again(
    postgres, monkeypatch
) -> None:
    # given
    monkeypatch.setattr(import_liveness, "KEEP_SECONDS", 0.1)
    job_id = 987_654

    with import_job_liveness(job_id=job_id):
        first = lock_holder(job_id)
        assert first is not None

        # when: the server ends the lock's connection
        backend_end(first)

        # then: the run connects again and holds the lock again
        def taken_again() -> int | None:
            holder = lock_holder(job_id)
            return None if holder in (None, first) else holder

        second = wait_for(
            taken_again,
            seconds=30,
            what="the run to take its lock again",
        )
        assert import_job_alive(job_id=job_id) is True

    assert second != first
    assert lock_holder(job_id) is None


@pytest.mark.django_db(transaction=True)
def test_a_run_the_sweep_failed_meanwhile_rolls_back_and_says_so(
    postgres, ops: User, monkeypatch
) -> None:
    # given: a run whose lock connection drops just before it commits, and
    # a sweep, in another process's place, that takes it for dead
    monkeypatch.setattr(import_liveness, "KEEP_SECONDS", 3600)
    mapped = started(ops)
    swept: list[int] = []

    def sweep_elsewhere() -> None:
        old = timezone.now() - timedelta(minutes=5)
        ImportJob.objects.filter(pk=mapped.job_id).update(updated_at=old)
        swept.append(import_jobs_stalled_fail())
        connection.close()

    def progress(percent: int, message: str) -> None:
        if percent == 98:
            holder = lock_holder(mapped.job_id)
            assert holder is not None
            backend_end(holder)
            sweeper = threading.Thread(target=sweep_elsewhere)
            sweeper.start()
            sweeper.join()

    # when
    job = mapped_import_run(mapped=mapped, progress=progress)

    # then
    job.refresh_from_db()
    assert swept == [1]
    assert (job.status, job.progress_message) == ("failed", "Failed: taken for stalled")
    assert job.error == (
        "it was taken for stalled and marked failed while it still ran, and "
        "rolled back. Nothing was written; check it again to retry."
    )
    assert Account.objects.count() == 0
    assert not row_report_path(job=job).exists()

    # when: checked and started again
    mapped = MappedImport.objects.get(pk=mapped.pk)
    mapped_import_reopen(mapped=mapped)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    again = mapped_import_run(mapped=mapped)

    # then
    assert again.status == ImportJob.Status.SUCCEEDED, again.issues
    assert Account.objects.count() == 2
