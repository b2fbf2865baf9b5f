"""A Redis cache that fails open, for counters whose loss is better than an error page.

Rate limits (django-ratelimit) count in this cache. When Redis is down, Django's
RedisCache raises, and django-ratelimit only fails open (RATELIMIT_FAIL_OPEN)
when the cache *answers* nothing: it does not catch the error. So this backend
turns an outage into "no answer", logged, and the page works unthrottled until
Redis is back (DESIGN.md: degrade, never fail).

Each call waits at most the socket timeouts in settings (REDIS_CACHE_TIMEOUT).
After a failure the cache does not ask Redis again for PAUSE_SECONDS: during an
outage a request pays for one failed call at most every few seconds, not one
per rate-limit check, and the log says so once per pause, not once per request.
"""

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


# After a failed call, how long the cache answers "nothing" without trying Redis.
PAUSE_SECONDS = 5.0


class FailOpenRedisCache(RedisCache):
    # Django makes one cache object per thread, so each thread keeps its own pause.
    _paused_until = float("-inf")

    def _paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def _unavailable(self, operation: str, error: Exception) -> None:
        self._paused_until = time.monotonic() + PAUSE_SECONDS
        logger.warning(
            "Cache unavailable (%s failed: %s): rate limits are not enforced until it is back.",
            operation,
            error,
        )

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        if self._paused():
            return False
        try:
            return super().add(key, value, timeout, version)
        except (RedisError, OSError) as error:
            self._unavailable("add", error)
            return False

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        if self._paused():
            return default
        try:
            return super().get(key, default, version)
        except (RedisError, OSError) as error:
            self._unavailable("get", error)
            return default

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        if self._paused():
            return
        try:
            super().set(key, value, timeout, version)
        except (RedisError, OSError) as error:
            self._unavailable("set", error)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> Any:
        if self._paused():
            return None
        try:
            return super().incr(key, delta, version)
        except (RedisError, OSError) as error:
            self._unavailable("incr", error)
            return None
