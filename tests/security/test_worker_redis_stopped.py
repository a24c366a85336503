"""Redis stopped for longer than the worker waits, with a task in flight.

The machine's Redis is shared, so it is never stopped: the worker, beat and
the requests here reach it through a small proxy on 127.0.0.1 that this
test stops (every connection closed, new ones refused) and starts again.
To them that is Redis going away and coming back.
"""

import contextlib
import re
import selectors
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
from django.urls import reverse

from accounts.models import Product, User
from scoring.models import ScoreRun
from tests.accounts.factories import UserFactory
from tests.conftest import redis_reachable, require_service
from tests.scoring.test_runs import portfolio_create
from tests.security import test_worker_stall as stall
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


class RedisProxy:
    """Forward a local port to Redis until stopped; start again on that port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.lock = threading.Lock()
        self.pairs: dict[socket.socket, socket.socket] = {}
        self.listener: socket.socket | None = None
        self.running = True
        self.selector = selectors.DefaultSelector()
        self.start()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        with self.lock:
            self.listener = listener
            self.selector.register(listener, selectors.EVENT_READ)

    def stop(self) -> None:
        """Close every connection and refuse new ones, as a stopped Redis."""
        with self.lock:
            if self.listener is not None:
                self.selector.unregister(self.listener)
                self.listener.close()
                self.listener = None
            for sock in list(self.pairs):
                self._close(sock)

    def close(self) -> None:
        self.stop()
        self.running = False
        self.thread.join(timeout=5)

    def _close(self, sock: socket.socket) -> None:
        for one in (sock, self.pairs.pop(sock, None)):
            if one is None:
                continue
            self.pairs.pop(one, None)
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(one)
            one.close()

    def _pump(self) -> None:
        while self.running:
            with self.lock:
                if not self.selector.get_map():
                    events = []
                else:
                    events = self.selector.select(timeout=0.05)
                for key, _ in events:
                    self._forward(key.fileobj)  # type: ignore[arg-type]
            if not events:
                threading.Event().wait(0.02)

    def _forward(self, sock: socket.socket) -> None:
        if sock is self.listener:
            client, _ = sock.accept()
            upstream = socket.create_connection(self.target)
            self.pairs[client] = upstream
            self.pairs[upstream] = client
            self.selector.register(client, selectors.EVENT_READ)
            self.selector.register(upstream, selectors.EVENT_READ)
            return
        if sock not in self.pairs:
            return
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._close(sock)
            return
        try:
            self.pairs[sock].sendall(data)
        except OSError:
            self._close(sock)


@pytest.fixture
def redis_proxy(settings) -> Iterator[RedisProxy]:
    require_service(
        redis_reachable(), "this test needs Redis: set REDIS_URL and start Redis"
    )
    real = urlsplit(settings.REDIS_URL)
    proxy = RedisProxy(real.hostname or "127.0.0.1", real.port or 6379)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def redis_url(redis_proxy: RedisProxy, settings) -> str:
    """The worker and beat of this module reach Redis through the proxy."""
    return f"redis://127.0.0.1:{redis_proxy.port}{urlsplit(settings.REDIS_URL).path}"


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
