"""A Redis cache that answers "nothing cached" while Redis is out of reach.

Lode's cache only speeds pages up and counts attempts (throttles, login
lockout, import progress), so a Redis outage or stall must neither turn a
page into an error nor make it wait out one socket timeout per cache call.
"""

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)

# When each Redis location may be tried again, shared by every thread of the
# process: Django keeps one cache object per thread.
_skip_until: dict[str, float] = {}


class FailSoftRedisCache(RedisCache):
    """RedisCache that, once Redis fails, skips it for `retry_after` seconds.

    While skipped, reads miss and writes are dropped, exactly as if the
    entries had expired. Errors other than an unreachable server (a wrong
    type, a bad command) still raise: they are bugs, not outages.
    """

    retry_after = 10.0

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = str(server)

    def _attempt(self, operation: Callable[[], T], fallback: T) -> T:
        if time.monotonic() < _skip_until.get(self._location, 0.0):
            return fallback
        try:
            return operation()
        except UNREACHABLE as error:
            _skip_until[self._location] = time.monotonic() + self.retry_after
            logger.warning(
                "cache unreachable (%s); serving without it for %ss",
                error,
                self.retry_after,
            )
            return fallback

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        add = super().add
        return self._attempt(lambda: add(key, value, timeout, version), False)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        get = super().get
        return self._attempt(lambda: get(key, default, version), default)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        set_ = super().set
        self._attempt(lambda: set_(key, value, timeout, version), None)

    def touch(
        self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        touch = super().touch
        return self._attempt(lambda: touch(key, timeout, version), False)

    def delete(self, key: Any, version: Any = None) -> bool:
        delete = super().delete
        return self._attempt(lambda: delete(key, version), False)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        get_many = super().get_many
        return self._attempt(lambda: get_many(keys, version), {})

    def has_key(self, key: Any, version: Any = None) -> bool:
        has_key = super().has_key
        return self._attempt(lambda: has_key(key, version), False)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        # While Redis is away every count starts again from nothing; the
        # callers (throttles, lockout) fail open by design.
        incr = super().incr
        return self._attempt(lambda: incr(key, delta, version), delta)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        set_many = super().set_many
        return self._attempt(lambda: set_many(data, timeout, version), list(data))

    def delete_many(self, keys: Any, version: Any = None) -> None:
        delete_many = super().delete_many
        self._attempt(lambda: delete_many(keys, version), None)

    def clear(self) -> None:
        clear = super().clear
        self._attempt(clear, None)
