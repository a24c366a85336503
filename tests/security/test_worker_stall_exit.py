"""A worker that stops consuming for too long exits, to be started again.

Docker only marks a container unhealthy; its restart policy acts when the
process exits. The worker here is production's prefork pool of two, given
6 seconds (WORKER_STALL_EXIT_SECONDS) where production gives it 300, and
Redis stalls through a proxy (tests.security.redis_proxy) until it exits.
"""

import subprocess

import pytest
from django.urls import reverse

from accounts.models import User
from config.heartbeat import stall_exit_seconds
from config.worker import STALL_EXIT_CODE
from scoring.models import ScoreRun
from tests.accounts.factories import UserFactory
from tests.conftest import PROJECT_DIR, celery_process_env, celery_worker_started
from tests.scoring.test_runs import portfolio_create
from tests.security import redis_proxy as proxies
from tests.security.redis_proxy import RedisProxy, proxied_url, proxy_holds
from tests.security.test_broker_outage import (
    FINISHED_RUN,
    finished,
    logged_in,
    web_broker,
)
from tests.security.test_worker_stall import eventually, health_check, worker_log

redis_proxy = proxies.redis_proxy
STALL_EXIT_SECONDS = 6
# Past the limit, the warm shutdown and its grace (at most the limit again),
# with room for a loaded machine.
EXIT_WITHIN_SECONDS = 120


@pytest.fixture
def redis_url(redis_proxy: RedisProxy, settings) -> str:
    return proxied_url(redis_proxy, settings.REDIS_URL)


@pytest.fixture
def celery_worker_pool() -> list[str]:
    return ["--pool=prefork", "--concurrency=2"]


@pytest.fixture
def celery_worker_env(tmp_path) -> dict[str, str]:
    return {
        "WORKER_BROKER_TIMEOUT_SECONDS": "1",
        "WORKER_HEARTBEAT_SECONDS": "1",
        "WORKER_HEARTBEAT_FILE": str(tmp_path / "worker-heartbeat"),
        "WORKER_STALL_EXIT_SECONDS": str(STALL_EXIT_SECONDS),
    }


@pytest.mark.worker
def test_a_worker_stalled_past_its_limit_exits_and_a_new_one_takes_the_work(
    redis_proxy,
    redis_url,
    celery_worker_process,
    celery_worker_env,
    celery_worker_pool,
):
    # given a worker that consumes
    portfolio_create(size=4)
    client = logged_in(UserFactory.create(username="olga", role=User.Role.OPS))
    eventually(lambda: health_check(celery_worker_env).returncode == 0, "heartbeat")

    # when Redis stalls and stays stalled, and a run is requested meanwhile
    redis_proxy.stall()
    try:
        with web_broker(redis_url):
            client.post(reverse("scoring:run_create"))
        requested = ScoreRun.objects.latest("pk")
        try:
            exit_code = celery_worker_process.wait(timeout=EXIT_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the stalled worker still ran after {EXIT_WITHIN_SECONDS}s")
        held_throughout = proxy_holds(redis_url)
        health_at_exit = health_check(celery_worker_env)
    finally:
        redis_proxy.resume()

    # then the worker exited by itself, non-zero, saying why, while Redis
    # was still stalled; its health check had failed too
    assert held_throughout
    assert exit_code == STALL_EXIT_CODE, worker_log()
    assert (
        f"(WORKER_STALL_EXIT_SECONDS is {STALL_EXIT_SECONDS}); shutting down to be "
        "started again" in worker_log()
    )
    assert health_at_exit.returncode == 1
    requested.refresh_from_db()
    assert requested.status == ScoreRun.Status.PENDING

    # and a worker started again, as the restart policy does, sends the
    # pending run on start, runs it and is healthy
    env = celery_process_env(redis_url, celery_worker_env)
    log_path = PROJECT_DIR / "var" / "test-worker-restarted.log"
    with celery_worker_started(env, celery_worker_pool, log_path):
        requested = finished(requested, FINISHED_RUN)
        assert requested.status == ScoreRun.Status.SUCCEEDED, requested.message
        eventually(lambda: health_check(celery_worker_env).returncode == 0, "heartbeat")


@pytest.mark.parametrize(
    "raw, message",
    [
        ("soon", "WORKER_STALL_EXIT_SECONDS must be an integer, not 'soon'"),
        ("-5", "WORKER_STALL_EXIT_SECONDS must be at least 0, not '-5'"),
    ],
)
def test_a_bad_stall_limit_is_refused_by_name(monkeypatch, raw, message):
    monkeypatch.setenv("WORKER_STALL_EXIT_SECONDS", raw)

    with pytest.raises(ValueError) as error:
        stall_exit_seconds()

    assert str(error.value) == message
