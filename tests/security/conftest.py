from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def forget_counters() -> None:
    """Drop lockout counters and throttle history, and nothing else.

    Under CI the cache shares Redis with the Celery broker, so flushing the
    whole database would drop other tests' queued work.
    """
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client()
        for pattern in ("*lode:login:*", "*throttle_*"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)
    else:
        backend.clear()


@pytest.fixture(autouse=True)
def clean_cache() -> Iterator[None]:
    """Start and end each test with no lockout counters or throttle history."""
    forget_counters()
    yield
    forget_counters()
