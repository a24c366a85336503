"""A Redis stall of any length: the worker consumes again by itself.

The worker here waits 1 second on a Redis command where production waits
30 (WORKER_BROKER_TIMEOUT_SECONDS), so a stall longer than everything the
worker waits out lasts seconds, not minutes. The machine's Redis is shared,
so it is never paused (CLIENT PAUSE would hold every engineer's test runs):
the worker, beat and the requests reach it through a proxy on 127.0.0.1
that stalls, passing nothing either way until it resumes
(tests.security.redis_proxy). The worker runs with the solo pool and with
prefork, two processes, as production runs it.
"""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from django.urls import reverse
from kombu import Connection, Exchange, Queue

from accounts.models import Product, User
from config.worker import delivery_tags_stranded, worker_consuming
from scoring.models import ScoreRun
from tests.accounts.factories import UserFactory
from tests.conftest import PROJECT_DIR, celery_process_env
from tests.scoring.test_runs import portfolio_create
from tests.security import redis_proxy as proxies
from tests.security.redis_proxy import RedisProxy, proxied_url, proxy_holds
from tests.security.test_broker_outage import (
    ANSWER_WITHIN_SECONDS,
    FINISHED_RUN,
    TableLock,
    finished,
    logged_in,
    timed,
    web_broker,
)

redis_proxy = proxies.redis_proxy
POOLS = {
    "solo": ["--pool=solo", "--concurrency=1"],
    "prefork-2": ["--pool=prefork", "--concurrency=2"],
}


@pytest.fixture
def redis_url(redis_proxy: RedisProxy, settings) -> str:
    """The worker, beat and requests of this module go through the proxy."""
    return proxied_url(redis_proxy, settings.REDIS_URL)


@pytest.fixture(params=list(POOLS.values()), ids=list(POOLS))
def celery_worker_pool(request: pytest.FixtureRequest) -> list[str]:
    return request.param


@pytest.fixture
def heartbeat_file(tmp_path: Path) -> Path:
    return tmp_path / "worker-heartbeat"


@pytest.fixture
def celery_worker_env(heartbeat_file: Path) -> dict[str, str]:
    return {
        "WORKER_BROKER_TIMEOUT_SECONDS": "1",
        "WORKER_HEARTBEAT_SECONDS": "1",
        "WORKER_HEARTBEAT_FILE": str(heartbeat_file),
        "PENDING_RESEND_EVERY_SECONDS": "2",
        # The stalls here end long before a worker would give up and exit
        # (test_worker_stall_exit.py); this says so whatever the default.
        "WORKER_STALL_EXIT_SECONDS": "600",
    }


@pytest.fixture
def celery_beat(
    celery_worker: None,
    redis_url: str,
    celery_worker_env: dict[str, str],
    tmp_path: Path,
) -> Iterator[Path]:
    """Start real Celery beat beside the worker; yield its log."""
    log_path = PROJECT_DIR / "var" / "test-beat.log"
    log = log_path.open("w")
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel=INFO",
            f"--schedule={tmp_path / 'beat-schedule'}",
        ],
        cwd=PROJECT_DIR,
        env=celery_process_env(redis_url, celery_worker_env),
        stdout=log,
        stderr=log,
    )
    try:
        yield log_path
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=20)
        except subprocess.TimeoutExpired:
            beat.kill()
            beat.wait()
        log.close()


def health_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the worker's health check exactly as docker-compose.yml has it."""
    compose = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
    kind, program, *arguments = compose["services"]["worker"]["healthcheck"]["test"]
    assert (kind, program) == ("CMD", "python")
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def eventually(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen in {timeout}s")
        time.sleep(0.3)


def worker_log() -> str:
    """The worker's log so far: kombu says there when an ack is lost."""
    return (PROJECT_DIR / "var" / "test-worker.log").read_text()


def beat_sent_the_sweep(log_path: Path) -> bool:
    return "Sending due task resend pending work" in log_path.read_text()


# The health check alone


@pytest.mark.parametrize(
    "written_ago, healthy",
    [(None, False), (3600, False), (0, True)],
    ids=["missing", "stale", "fresh"],
)
def test_the_health_check_passes_only_on_a_fresh_heartbeat(
    tmp_path, written_ago, healthy
):
    # given
    path = tmp_path / "heartbeat"
    if written_ago is not None:
        path.write_text(f"{time.time() - written_ago:.3f}\n")

    # when
    result = health_check({"WORKER_HEARTBEAT_FILE": str(path)})

    # then
    assert (result.returncode == 0) is healthy, result.stdout + result.stderr
    assert result.stdout.startswith("healthy" if healthy else "unhealthy")


# A delivery whose ack was lost, on a real Redis channel


def test_a_delivery_no_task_holds_counts_as_not_consuming_until_acked(redis_url):
    # given a channel with a prefetch of one that took a message and then
    # lost its ack: nothing in this worker holds it any more
    queue = Queue("lode-test-stall", Exchange("lode-test-stall"), "stall")
    with Connection(redis_url) as connection:
        channel = connection.channel()
        try:
            channel.basic_qos(0, 1, False)
            bound = queue(channel)
            bound.declare()
            connection.Producer(channel).publish(
                {"x": 1}, exchange=queue.exchange, routing_key="stall", declare=[queue]
            )
            message = bound.get(no_ack=False)
            assert message is not None
            tag = message.delivery_tag

            # when the worker looks at it
            stranded = delivery_tags_stranded(channel)
            consuming = worker_consuming(channel)

            # then it counts as stuck, with no credit left for the next task
            assert stranded == [tag]
            assert not consuming
            assert not channel.qos.can_consume()

            # and acknowledging it again frees the credit and Redis's record
            channel.basic_ack(tag)
            assert delivery_tags_stranded(channel) == []
            assert channel.qos.can_consume()
            assert worker_consuming(channel)
            assert redis.Redis.from_url(redis_url).hget("unacked", tag) is None
        finally:
            bound.delete()
            channel.close()


# The real worker and beat through a stall longer than they wait


@pytest.mark.worker
def test_after_a_stall_longer_than_the_worker_waits_it_consumes_again(
    redis_proxy, redis_url, celery_worker, celery_beat, celery_worker_env
):
    # given a worker that consumes, beat sending its sweeps, and a score run
    # the worker holds unacknowledged, kept waiting on a table lock
    portfolio_create(size=6)
    ops = UserFactory.create(username="olga", role=User.Role.OPS)
    client = logged_in(ops)
    eventually(lambda: health_check(celery_worker_env).returncode == 0, "heartbeat")
    eventually(lambda: beat_sent_the_sweep(celery_beat), "beat's first sweep", 90)
    lock = TableLock(Product)
    try:
        lock.take()
        with web_broker(redis_url):
            client.post(reverse("scoring:run_create"))
        in_flight = ScoreRun.objects.latest("pk")
        lock.waited_on()

        # when Redis stalls past every wait of the worker: the run in flight
        # ends, its ack is lost, and another run is requested
        redis_proxy.stall()
        try:
            with web_broker(redis_url):
                response, seconds = timed(
                    lambda: client.post(reverse("scoring:run_create"))
                )
            requested = ScoreRun.objects.latest("pk")
            status_during_stall = requested.status
            lock.release()
            in_flight = finished(in_flight, FINISHED_RUN)
            eventually(lambda: "Couldn't ack" in worker_log(), "the ack being lost")
            eventually(
                lambda: health_check(celery_worker_env).returncode == 1,
                "the health check failing",
            )
            held_throughout = proxy_holds(redis_url)
        finally:
            redis_proxy.resume()
    finally:
        lock.close()

    # then the request answered in time and left its run pending, the run
    # in flight ended, and the health check saw the worker not consuming
    assert held_throughout
    assert response.status_code == 302
    assert seconds < ANSWER_WITHIN_SECONDS
    assert status_during_stall == ScoreRun.Status.PENDING
    assert in_flight.status == ScoreRun.Status.SUCCEEDED, in_flight.message

    # and once Redis answers, beat's sweep sends the pending run and the
    # worker, its lost ack sent again, takes it and is healthy again
    requested = finished(requested, FINISHED_RUN)
    assert requested.status == ScoreRun.Status.SUCCEEDED, requested.message
    eventually(lambda: health_check(celery_worker_env).returncode == 0, "heartbeat")
    tag = re.search(r"Couldn't ack '([^']+)'", worker_log())
    assert tag is not None
    eventually(
        lambda: (
            f"acknowledged delivery {tag.group(1)}, whose ack Redis lost"
            in worker_log()
        ),
        "the lost ack sent again",
    )
    unacked = redis.Redis.from_url(redis_url)
    assert unacked.hget("unacked", tag.group(1)) is None
    # and the worker never gave up and exited
    assert "shutting down to be started again" not in worker_log()
