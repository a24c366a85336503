"""A proxy on 127.0.0.1 in front of the machine's Redis, for outage tests.

The machine's Redis is shared by every engineer's test runs, so it is never
stopped or paused. A worker, beat and the web side under test reach it
through this proxy instead, which the test can stop (every connection
closed, new ones refused, as a stopped Redis) or stall (connections open
but nothing passes either way, as a Redis held by CLIENT PAUSE or a network
that drops everything) and bring back.
"""

import contextlib
import selectors
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis

from tests.conftest import redis_reachable, require_service


class RedisProxy:
    """Forward a local port to Redis; stop, stall and resume on demand."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.lock = threading.Lock()
        self.pairs: dict[socket.socket, socket.socket] = {}
        self.clients: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        self.running = True
        self.stalled = False
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

    def stall(self) -> None:
        """Pass nothing either way; new connections open but hang too."""
        with self.lock:
            self.stalled = True
            for sock in self.pairs:
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.unregister(sock)

    def resume(self) -> None:
        """Pass traffic again after a stall.

        What a client sent and then gave up on, closing its connection
        during the stall, is dropped: sent on to Redis now, a BRPOP would
        pop a task for nobody.
        """
        with self.lock:
            self.stalled = False
            for client in list(self.clients):
                if client not in self.pairs:
                    continue
                sent = _stalled_input(client)
                if sent is None:
                    self._close(client)
                    continue
                try:
                    self.pairs[client].sendall(sent)
                except OSError:
                    self._close(client)
            for sock in self.pairs:
                self.selector.register(sock, selectors.EVENT_READ)

    def close(self) -> None:
        self.stop()
        self.running = False
        self.thread.join(timeout=5)

    def _close(self, sock: socket.socket) -> None:
        for one in (sock, self.pairs.pop(sock, None)):
            if one is None:
                continue
            self.pairs.pop(one, None)
            self.clients.discard(one)
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
            self.clients.add(client)
            if not self.stalled:
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


def _stalled_input(client: socket.socket) -> bytes | None:
    """Return what the client sent during the stall, or None if it has gone."""
    chunks: list[bytes] = []
    while True:
        try:
            chunk = client.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return b"".join(chunks)
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)


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


def proxied_url(proxy: RedisProxy, url: str) -> str:
    """Return `url` (same database) reached through the proxy."""
    return f"redis://127.0.0.1:{proxy.port}{urlsplit(url).path}"


def proxy_holds(url: str) -> bool:
    """Whether Redis through the proxy answers nothing: a probe gets no reply.

    A stalled proxy never answers, so a slow machine can only make this say
    "held" when it is not.
    """
    probe = redis.Redis.from_url(url, socket_timeout=0.5)
    try:
        probe.ping()
    except redis.TimeoutError:
        return True
    finally:
        probe.close()
    return False
