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
from celery.signals import beat_init, celeryd_init
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import ImportJob, MappedImport, Product, User
from accounts.tasks import import_job_task
from config import cache as fail_soft_cache
from config.celery import app as celery_app
from config.pending import pending_work_resend, pending_work_resend_task
from scoring.models import AccountScore, ScoreRun
from scoring.services import score_run_request
from scoring.tasks import scoring_run_task
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
# The in-flight test holds writes longer: through the end of the task and
# then past two web socket timeouts (the task's success sends one message
# before the worker acknowledges the task).
IN_FLIGHT_PAUSE_CAP_MILLISECONDS = 15000
WEB_SOCKET_TIMEOUT_SECONDS = settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"]
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
def redis_paused(
    url: str, cap_milliseconds: int = PAUSE_CAP_MILLISECONDS
) -> Iterator[None]:
    """Hold every write to the Redis server while the block runs.

    At most `cap_milliseconds`: Redis ends the pause by itself then, so a
    test killed inside the block leaves no one stalled for long.
    """
    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.execute_command("CLIENT", "PAUSE", cap_milliseconds, "WRITE")
        yield
    finally:
        client.execute_command("CLIENT", "UNPAUSE")
        client.close()


def worker_idle(url: str, timeout: float = 30) -> None:
    """Wait until the worker holds no task and none waits in its queue.

    Most pause tests ask only what happens to work requested while Redis
    holds writes, so they start from an idle worker. A task the worker
    took just before the pause is acknowledged only once the pause ends,
    the case of the test of a run in flight.
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


class TableLock:
    """An exclusive lock on one model's table, from a connection of its own.

    A worker task that reads the table waits on the lock, so the test
    decides when the task goes on, without guessing how long it takes.
    """

    def __init__(self, model: type[Any]) -> None:
        postgresql: Any = connection
        self.table = model._meta.db_table
        self.own = postgresql.Database.connect(**postgresql.get_connection_params())
        self.held = False

    def take(self) -> None:
        with self.own.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{self.table}" IN ACCESS EXCLUSIVE MODE')
        self.held = True

    def waited_on(self, timeout: float = 30) -> None:
        """Wait until another session waits for this lock."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.own.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE relation = %s::regclass AND NOT granted",
                    [self.table],
                )
                if cursor.fetchone()[0]:
                    return
            time.sleep(0.1)
        pytest.fail(f"nothing waited on the lock on {self.table} in {timeout}s")

    def release(self) -> None:
        if self.held:
            self.own.commit()
            self.held = False

    def close(self) -> None:
        self.release()
        self.own.close()


def unacknowledged(url: str, timeout: float = 30) -> int:
    """Return how many delivered messages wait for their ack, once none do.

    Polls, because the worker acknowledges a task just after its last
    database write. Kombu keeps each delivered, unacknowledged message in
    the `unacked` hash until the ack (or a redelivery) removes it.
    """
    client = redis.Redis.from_url(url, socket_timeout=2)
    deadline = time.monotonic() + timeout
    try:
        while (count := client.hlen("unacked")) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        client.close()
    return count


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
    assert sent == {
        "score_runs": 1,
        "import_jobs": 0,
        "coverage_folds": 0,
        "chart_names": 0,
    }
    lost.refresh_from_db()
    assert lost.status == ScoreRun.Status.SUCCEEDED, lost.message
    # (the new accounts' coverage fold was never sent either: only that)
    assert pending_work_resend(older_than=timedelta(0)) == {
        "score_runs": 0,
        "import_jobs": 0,
        "coverage_folds": 1,
        "chart_names": 0,
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
    assert sent == {
        "score_runs": 0,
        "import_jobs": 0,
        "coverage_folds": 0,
        "chart_names": 0,
    }
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
    return ScoreRun.objects.latest("pk"), seconds


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
def test_a_run_in_flight_while_redis_is_paused_is_acked_and_work_goes_on(
    celery_worker, caplog
):
    # given a score run the worker has taken and holds unacknowledged,
    # kept waiting on a table lock so that it ends while Redis holds writes
    portfolio_create(size=6)
    ops = UserFactory.create(username="olga", role=User.Role.OPS)
    lock = TableLock(Product)
    try:
        lock.take()
        with web_broker(settings.REDIS_URL):
            in_flight, _ = _score_run_requested_by(ops)
        lock.waited_on()
        in_flight.refresh_from_db()
        assert in_flight.status == ScoreRun.Status.RUNNING

        # when, while Redis holds writes, another run is requested and the
        # one in flight ends
        with (
            web_broker(settings.REDIS_URL),
            redis_paused(settings.REDIS_URL, IN_FLIGHT_PAUSE_CAP_MILLISECONDS),
        ):
            requested, requested_seconds = _score_run_requested_by(ops)
            requested.refresh_from_db()
            status_during_pause = requested.status
            lock.release()
            in_flight = finished(in_flight, FINISHED_RUN)
            # Hold on past what a web process would wait, for the message
            # the run's success sends and then for the ack.
            time.sleep(2 * WEB_SOCKET_TIMEOUT_SECONDS + 1)
            answered_while_held = writes_held(settings.REDIS_URL)
    finally:
        lock.close()

    # then the request answered in time, its run pending and its send
    # given up on, while the run in flight finished while writes were held
    assert answered_while_held
    assert requested_seconds < ANSWER_WITHIN_SECONDS
    assert status_during_pause == ScoreRun.Status.PENDING
    assert send_failures(caplog) == [
        f"Could not enqueue score run {requested.pk}; it stays pending"
    ]
    assert in_flight.status == ScoreRun.Status.SUCCEEDED, in_flight.message
    finished_at = in_flight.finished_at

    # and once Redis answers again, the worker has acknowledged the run it
    # held and takes new work: beat's next sweep gets the other run done
    with web_broker(settings.REDIS_URL):
        pending_work_resend_task.delay(older_than_seconds=0)
    requested = finished(requested, FINISHED_RUN)
    assert requested.status == ScoreRun.Status.SUCCEEDED, requested.message
    assert unacknowledged(settings.REDIS_URL) == 0
    assert AccountScore.objects.filter(run=requested).count() == 6

    # and a second delivery of the run it held, which an ack that never
    # got through would bring after the visibility timeout, changes nothing
    with web_broker(settings.REDIS_URL):
        scoring_run_task.delay(in_flight.pk)
    worker_idle(settings.REDIS_URL)
    assert unacknowledged(settings.REDIS_URL) == 0
    in_flight.refresh_from_db()
    assert in_flight.status == ScoreRun.Status.SUCCEEDED
    assert in_flight.finished_at == finished_at
    assert AccountScore.objects.filter(run=in_flight).count() == 6


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
    assert sent == {
        "score_runs": 0,
        "import_jobs": 1,
        "coverage_folds": 0,
        "chart_names": 0,
    }
    job.refresh_from_db()
    assert job.status != ImportJob.Status.PENDING


def test_beat_resends_pending_work_every_minute():
    celery_app.loader.import_default_modules()
    celery_app.finalize()

    entry = celery_app.conf.beat_schedule["resend pending work"]

    assert entry["task"] == "config.pending.pending_work_resend_task"
    assert entry["schedule"] == 60.0


@pytest.mark.parametrize("started", [celeryd_init, beat_init], ids=["worker", "beat"])
def test_a_worker_or_beat_waits_for_the_broker_where_a_request_fails_fast(started):
    # given this process, which sends tasks as the web process does
    keys = [*settings.CONSUMER_CELERY_SETTINGS]
    web = {key: celery_app.conf[key] for key in keys}

    # when Celery says the process is a worker or beat
    try:
        started.send(sender="celery@lode-test", conf=celery_app.conf, options={})
        consumer = {key: celery_app.conf[key] for key in keys}
    finally:
        celery_app.conf.update(web)

    # then it reconnects for as long as it takes and waits out a stall
    # several times longer than a request may, retrying a timed-out command
    assert web["broker_transport_options"] == {
        "socket_connect_timeout": 2,
        "socket_timeout": 2,
        "max_retries": 0,
    }
    assert not web["task_publish_retry"]
    options = consumer["broker_transport_options"]
    assert options["socket_timeout"] >= 10 * WEB_SOCKET_TIMEOUT_SECONDS
    assert options["retry_on_timeout"] is True
    assert options["health_check_interval"] > 0
    assert "max_retries" not in options
    assert consumer["broker_connection_retry"] is True
    assert consumer["broker_connection_retry_on_startup"] is True
    assert consumer["broker_connection_max_retries"] is None
    assert consumer["task_publish_retry"] is True
