"""Redis or the worker down or stalled: requests answer, work waits in the DB.

"Stopped" points the web side at a local port where nothing listens; the
machine's Redis is never stopped. "Paused" stalls the machine's real Redis
with CLIENT PAUSE: a stall is what a socket timeout has to catch, and only a
real server shows it. The pause holds every client of that server, other
test runs on the machine too, so it is kept as small as the point allows:
only writes are held (sending a task writes: kombu's SADD binding the queue
on a new connection, then the LPUSH; so do a worker's BRPOP and the
throttles' cache writes), reads go on; it is lifted as soon as the
requests under test have answered, in a finally; and Redis lifts it by
itself after a few seconds should this process die first.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import ImportJob, MappedImport, User
from accounts.tasks import import_job_task
from config import cache as fail_soft_cache
from config.celery import app as celery_app
from config.pending import pending_work_resend, pending_work_resend_task
from scoring.models import ScoreRun
from scoring.services import score_run_request
from tests.accounts.factories import UserFactory
from tests.accounts.test_import import SMALL
from tests.scoring.test_runs import portfolio_create

UNREACHABLE_REDIS = "redis://127.0.0.1:6399/0"
# The issue's bound on a request that would enqueue work while the broker is
# down or stalled. It is the product's promise, not a speed figure: the
# broker's socket timeouts (2 s) are what keep it.
ANSWER_WITHIN_SECONDS = 3.0
# The longest a pause may last if nothing lifts it sooner. It must outlast
# the broker's 2-second socket timeout, or a send would only wait out the
# pause and succeed, and the requests under test on a busy machine; the
# tests lift it as soon as those have answered.
PAUSE_CAP_MILLISECONDS = 6000
UNREACHABLE_CACHES = {
    "default": {
        "BACKEND": "config.cache.FailSoftRedisCache",
        "LOCATION": UNREACHABLE_REDIS,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
FINISHED_RUN = {ScoreRun.Status.SUCCEEDED, ScoreRun.Status.FAILED}


@pytest.fixture(autouse=True)
def cache_not_skipped() -> Iterator[None]:
    """Start and end each test with every cache location trusted again."""
    fail_soft_cache._skip_until.clear()
    yield
    fail_soft_cache._skip_until.clear()


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _forget_broker_connections() -> None:
    # The pools themselves are kombu's, shared per broker URL and reused
    # when the URL comes back; only the app's shortcuts to them go.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def web_broker(url: str) -> Iterator[None]:
    """Send this process's tasks to `url` for real, as the web process does."""
    saved = celery_app.conf.broker_url
    _forget_broker_connections()
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        _forget_broker_connections()
        celery_app.conf.broker_url = saved
        celery_app.conf.task_always_eager = True


@contextmanager
def redis_paused(url: str) -> Iterator[None]:
    """Hold every write to the Redis server while the block runs.

    At most PAUSE_CAP_MILLISECONDS: Redis ends the pause by itself then, so
    a test killed inside the block leaves no one stalled for long.
    """
    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.execute_command("CLIENT", "PAUSE", PAUSE_CAP_MILLISECONDS, "WRITE")
        yield
    finally:
        client.execute_command("CLIENT", "UNPAUSE")
        client.close()


def worker_idle(url: str, timeout: float = 30) -> None:
    """Wait until the worker holds no task and none waits in its queue.

    The pause tests ask what happens to work requested while Redis holds
    writes. A task the worker took just before the pause cannot be
    acknowledged during it, and the worker (which shares the web's
    no-retry broker options) then stops consuming: a different case, not
    what these tests ask, so they start from an idle worker.
    """
    queue = redis.Redis.from_url(url, socket_timeout=2)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            inspect = celery_app.control.inspect(timeout=1)
            busy = [*(inspect.active() or {}).values()]
            busy += [*(inspect.reserved() or {}).values()]
            if not queue.llen("celery") and not any(busy):
                return
            time.sleep(0.2)
    finally:
        queue.close()
    pytest.fail(f"the worker did not go idle in {timeout}s")


def writes_held(url: str) -> bool:
    """Whether Redis still holds writes: a probe write gets no answer soon.

    Not a timing of Lode: a paused server never answers the probe, so a
    slow machine can only make this say "held" when it is not.
    """
    probe = redis.Redis.from_url(url, socket_timeout=0.5)
    try:
        probe.set("lode:test:pause-probe", 1, px=1000)
    except redis.TimeoutError:
        return True
    finally:
        probe.close()
    return False


def send_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The sends given up on, as the code sending the work logs them."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.ERROR and "stays pending" in record.getMessage()
    ]


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def small_upload() -> dict[str, Any]:
    fields = {
        "accounts": "accounts.csv",
        "products": "products.csv",
        "sales_teams": "sales_teams.csv",
        "sales_pipeline": "sales_pipeline.csv",
    }
    data: dict[str, Any] = {
        field: SimpleUploadedFile(
            name, ("\r\n".join(SMALL[name]) + "\r\n").encode(), "text/csv"
        )
        for field, name in fields.items()
    }
    data["keep_good_rows"] = "on"
    return data


def finished(row: Any, done: set[str], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.status in done:
            return row
        time.sleep(0.2)
    pytest.fail(f"{row} still {row.status} after {timeout}s")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Without any broker: the sweeper and the task base class


@pytest.mark.django_db
def test_the_sweeper_sends_pending_work_older_than_a_few_seconds():
    # given a pending run whose send was lost (inside the test transaction
    # its on-commit send never happens)
    portfolio_create(size=4)
    lost = score_run_request(trigger="manual")
    ScoreRun.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )

    # when the sweeper runs (eagerly, in process)
    sent = pending_work_resend()

    # then only the old one was sent, and it ran once
    assert sent == {"score_runs": 1, "import_jobs": 0, "coverage_folds": 0}
    lost.refresh_from_db()
    assert lost.status == ScoreRun.Status.SUCCEEDED, lost.message
    # (the new accounts' coverage fold was never sent either: only that)
    assert pending_work_resend(older_than=timedelta(0)) == {
        "score_runs": 0,
        "import_jobs": 0,
        "coverage_folds": 1,
    }


@pytest.mark.django_db
def test_the_sweeper_leaves_young_work_and_jobs_it_cannot_run_alone(tmp_path):
    # given work younger than the threshold, a job with no files yet and
    # one waiting in the mapping wizard
    run = score_run_request(trigger="manual")
    old = timezone.now() - timedelta(minutes=2)
    ImportJob.objects.create()
    wizard_job = ImportJob.objects.create(source_directory=str(tmp_path))
    MappedImport.objects.create(job=wizard_job)
    ImportJob.objects.update(created_at=old)

    # when
    sent = pending_work_resend()

    # then
    assert sent == {"score_runs": 0, "import_jobs": 0, "coverage_folds": 0}
    run.refresh_from_db()
    assert run.status == ScoreRun.Status.PENDING


@pytest.mark.django_db
def test_an_import_job_sent_twice_runs_once(tmp_path):
    # given a job that another delivery is already running
    job = ImportJob.objects.create(
        source_directory=str(tmp_path), status=ImportJob.Status.RUNNING
    )

    # when a second delivery arrives
    import_job_task.delay(job.pk)

    # then it leaves the job alone
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    assert job.issues == []


@pytest.mark.django_db
def test_sending_to_a_stopped_broker_neither_raises_nor_waits():
    job = ImportJob.objects.create(source_directory="/nonexistent")

    with web_broker(UNREACHABLE_REDIS):
        result, seconds = timed(lambda: import_job_task.delay(job.pk))

    assert result is None
    assert seconds < ANSWER_WITHIN_SECONDS
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING


# Pages keep serving without Redis


@pytest.mark.django_db
def test_pages_and_the_api_serve_while_the_cache_is_unreachable(rep, account):
    # given a cache whose Redis does not answer
    client = logged_in(rep)
    paths = [
        reverse("scoring:portfolio"),
        reverse("accounts:detail", args=[account.pk]),
        "/api/accounts/",
        reverse("scoring:run_progress"),
    ]

    with override_settings(CACHES=UNREACHABLE_CACHES):
        # when / then: every page answers, and only the first waits for Redis
        for path in paths:
            response, seconds = timed(lambda path=path: client.get(path))
            assert response.status_code == 200, path
            assert seconds < ANSWER_WITHIN_SECONDS, path

        cache.set("lode:probe", 1)
        assert cache.get("lode:probe") is None


@pytest.mark.django_db
def test_a_failed_login_is_answered_while_the_cache_is_unreachable(rep):
    with override_settings(CACHES=UNREACHABLE_CACHES):
        response = Client().post(
            reverse("login"), {"username": "rita", "password": "wrong"}
        )

    assert response.status_code == 200
    assert b"That username and password do not match" in response.content


# With the real worker: stopped and paused broker


def _score_run_requested_by(user: User) -> tuple[ScoreRun, float]:
    client = logged_in(user)
    response, seconds = timed(lambda: client.post(reverse("scoring:run_create")))
    assert response.status_code == 302
    return ScoreRun.objects.get(), seconds


def _import_uploaded_by(user: User) -> tuple[ImportJob, float]:
    client = logged_in(user)
    response, seconds = timed(
        lambda: client.post(reverse("accounts:import"), small_upload())
    )
    assert response.status_code == 302, response.content[:500]
    return ImportJob.objects.get(), seconds


@pytest.mark.worker
def test_work_requested_while_the_broker_is_stopped_runs_when_a_worker_starts(
    request, transactional_db, postgres, redis_url
):
    # given
    portfolio_create(size=6)
    ops = UserFactory.create(username="olga", role=User.Role.OPS)

    # when both are requested with the broker out of reach
    with web_broker(UNREACHABLE_REDIS):
        run, run_seconds = _score_run_requested_by(ops)
        job, job_seconds = _import_uploaded_by(ops)

    # then both requests answered quickly and left the work pending
    assert run_seconds < ANSWER_WITHIN_SECONDS
    assert job_seconds < ANSWER_WITHIN_SECONDS
    run.refresh_from_db()
    job.refresh_from_db()
    assert run.status == ScoreRun.Status.PENDING
    assert job.status == ImportJob.Status.PENDING

    # and when the broker and a worker are back, the worker picks both up
    request.getfixturevalue("celery_worker")
    run = finished(run, FINISHED_RUN)
    job = finished(job, {ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED})
    assert run.status == ScoreRun.Status.SUCCEEDED, run.message
    assert job.status == ImportJob.Status.SUCCEEDED, job.error


@pytest.mark.worker
def test_a_score_run_requested_while_redis_is_paused_runs_after(celery_worker, caplog):
    # given
    portfolio_create(size=6)
    manager = UserFactory.create(username="mona", role=User.Role.MANAGER)
    ops = UserFactory.create(username="olga", role=User.Role.OPS)
    worker_idle(settings.REDIS_URL)

    # when the run is requested while Redis holds every write
    with web_broker(settings.REDIS_URL), redis_paused(settings.REDIS_URL):
        run, run_seconds = _score_run_requested_by(ops)
        run.refresh_from_db()
        status_during_pause = run.status
        # The API's throttles write to the cache in the same Redis.
        listed = logged_in(manager).get("/api/accounts/")
        answered_while_held = writes_held(settings.REDIS_URL)

    # then both requests answered while Redis still held writes, not after
    # it let go, the run recorded as pending and its send given up on
    assert answered_while_held
    assert run_seconds < ANSWER_WITHIN_SECONDS
    assert status_during_pause == ScoreRun.Status.PENDING
    assert send_failures(caplog) == [
        f"Could not enqueue score run {run.pk}; it stays pending"
    ]
    assert listed.status_code == 200

    # and once Redis answers again, beat's next sweep gets it run
    with web_broker(settings.REDIS_URL):
        pending_work_resend_task.delay(older_than_seconds=0)
    run = finished(run, FINISHED_RUN)
    assert run.status == ScoreRun.Status.SUCCEEDED, run.message


@pytest.mark.worker
def test_an_import_uploaded_while_redis_is_paused_runs_after(celery_worker, caplog):
    # given
    ops = UserFactory.create(username="olga", role=User.Role.OPS)
    worker_idle(settings.REDIS_URL)

    # when
    with web_broker(settings.REDIS_URL), redis_paused(settings.REDIS_URL):
        job, job_seconds = _import_uploaded_by(ops)
        job.refresh_from_db()
        status_during_pause = job.status
        answered_while_held = writes_held(settings.REDIS_URL)

    # then the upload answered while Redis still held writes, the job
    # pending and its send given up on
    assert answered_while_held
    assert job_seconds < ANSWER_WITHIN_SECONDS
    assert status_during_pause == ImportJob.Status.PENDING
    assert send_failures(caplog) == [
        "could not send accounts.tasks.import_job_task; the work stays pending"
    ]

    with web_broker(settings.REDIS_URL):
        pending_work_resend_task.delay(older_than_seconds=0)
    job = finished(job, {ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED})
    assert job.status == ImportJob.Status.SUCCEEDED, job.error


@pytest.mark.django_db
def test_the_sweeper_sends_a_confirmed_wizard_import_to_its_own_task(tmp_path):
    # given a wizard import the user confirmed while the broker was away
    job = ImportJob.objects.create(source_directory=str(tmp_path))
    MappedImport.objects.create(job=job, confirmed_at=timezone.now())
    ImportJob.objects.update(created_at=timezone.now() - timedelta(minutes=2))

    # when
    sent = pending_work_resend()

    # then the wizard's task claimed and ran it (here: with nothing mapped)
    assert sent == {"score_runs": 0, "import_jobs": 1, "coverage_folds": 0}
    job.refresh_from_db()
    assert job.status != ImportJob.Status.PENDING


def test_beat_resends_pending_work_every_minute():
    celery_app.loader.import_default_modules()
    celery_app.finalize()

    entry = celery_app.conf.beat_schedule["resend pending work"]

    assert entry["task"] == "config.pending.pending_work_resend_task"
    assert entry["schedule"] == 60.0
