"""A Redis cache that fails open, for counters whose loss is better than an error page.

Rate limits (django-ratelimit) count in this cache. When Redis is down, Django's
RedisCache raises, and django-ratelimit only fails open (RATELIMIT_FAIL_OPEN)
when the cache *answers* nothing: it does not catch the error. So this backend
turns an outage into "no answer", logged, and the page works unthrottled until
Redis is back (DESIGN.md: degrade, never fail).
"""

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class FailOpenRedisCache(RedisCache):
    def _unavailable(self, operation: str, error: Exception) -> None:
        logger.warning(
            "Cache unavailable (%s failed: %s): rate limits are not enforced until it is back.",
            operation,
            error,
        )

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except (RedisError, OSError) as error:
            self._unavailable("add", error)
            return False

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except (RedisError, OSError) as error:
            self._unavailable("get", error)
            return default

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except (RedisError, OSError) as error:
            self._unavailable("set", error)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> Any:
        try:
            return super().incr(key, delta, version)
        except (RedisError, OSError) as error:
            self._unavailable("incr", error)
            return None
