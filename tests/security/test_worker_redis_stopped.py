"""Redis stopped for longer than the worker waits, with a task in flight.

The machine's Redis is shared, so it is never stopped: the worker, beat and
the requests here reach it through a small proxy on 127.0.0.1 that this
test stops (every connection closed, new ones refused) and starts again.
To them that is Redis going away and coming back.
"""

import re

import pytest
import redis
from django.urls import reverse

from accounts.models import Product, User
from scoring.models import ScoreRun
from tests.accounts.factories import UserFactory
from tests.scoring.test_runs import portfolio_create
from tests.security import redis_proxy as proxies
from tests.security import test_worker_stall as stall
from tests.security.redis_proxy import RedisProxy, proxied_url
from tests.security.test_broker_outage import (
    ANSWER_WITHIN_SECONDS,
    FINISHED_RUN,
    TableLock,
    finished,
    logged_in,
    timed,
    web_broker,
)
from tests.security.test_worker_stall import (
    beat_sent_the_sweep,
    eventually,
    health_check,
    worker_log,
)

# The worker's short waits, its heartbeat and beat, as in the pause test.
heartbeat_file = stall.heartbeat_file
celery_worker_env = stall.celery_worker_env
celery_beat = stall.celery_beat
redis_proxy = proxies.redis_proxy


@pytest.fixture
def redis_url(redis_proxy: RedisProxy, settings) -> str:
    """The worker and beat of this module reach Redis through the proxy."""
    return proxied_url(redis_proxy, settings.REDIS_URL)


@pytest.mark.worker
def test_after_redis_was_stopped_with_a_task_in_flight_the_worker_consumes_again(
    redis_proxy, redis_url, celery_worker, celery_beat, celery_worker_env
):
    # given a consuming worker, beat, and a run the worker holds unacknowledged
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

        # when Redis stops, a run is requested, the run in flight ends and
        # its ack is lost, and Redis stays away while the worker idles
        redis_proxy.stop()
        with web_broker(redis_url):
            response, seconds = timed(
                lambda: client.post(reverse("scoring:run_create"))
            )
        requested = ScoreRun.objects.latest("pk")
        status_while_stopped = requested.status
        lock.release()
        in_flight = finished(in_flight, FINISHED_RUN)
        eventually(lambda: "Couldn't ack" in worker_log(), "the ack being lost")
        eventually(
            lambda: health_check(celery_worker_env).returncode == 1,
            "the health check failing",
        )
    finally:
        lock.close()
        redis_proxy.start()

    # then the request answered in time and left its run pending
    assert response.status_code == 302
    assert seconds < ANSWER_WITHIN_SECONDS
    assert status_while_stopped == ScoreRun.Status.PENDING
    assert in_flight.status == ScoreRun.Status.SUCCEEDED, in_flight.message

    # and once Redis is back, beat's sweep sends the pending run, the worker
    # runs it and is healthy again
    requested = finished(requested, FINISHED_RUN)
    assert requested.status == ScoreRun.Status.SUCCEEDED, requested.message
    eventually(lambda: health_check(celery_worker_env).returncode == 0, "heartbeat")

    # and Redis no longer lists the run that ended as unacknowledged, so it
    # is not delivered again when the visibility timeout passes
    tag = re.search(r"Couldn't ack '([^']+)'", worker_log())
    assert tag is not None
    unacked = redis.Redis.from_url(redis_url)
    eventually(lambda: unacked.hget("unacked", tag.group(1)) is None, "the ack")
    assert f"acknowledged delivery {tag.group(1)}, whose ack Redis lost" in (
        worker_log()
    )
