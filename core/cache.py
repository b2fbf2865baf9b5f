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
import secrets
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


# After a failed call, how long the cache answers "nothing" without trying Redis.
PAUSE_SECONDS = 5.0


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one redis-py client per connection pool.

    Django builds a new redis-py client for every call; building one (its table of
    reply parsers) cost more than the call itself, on every rate-limit check and
    API token lookup. A redis-py client is safe to share: it takes a connection from
    its pool for each command.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class FailOpenRedisCache(RedisCache):
    # Django makes one cache object per thread, so each thread keeps its own pause.
    _paused_until = float("-inf")

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def _paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def is_paused(self) -> bool:
        """True while the cache rests after a failure: Redis was lately out of reach."""
        return self._paused()

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

    def claim_or_read(self, key: str, value: float, timeout: float) -> tuple[bool | None, float]:
        """(claimed, value): set `key` to `value` for `timeout` seconds unless it is set, and
        read what it holds, in one round trip. claimed is True when this call set it (the
        value is then `value`), False when it was set already (the value is the one it
        holds; 0.0 when that is not a number), None when Redis cannot be asked (failing
        open, logged; the value is then `value`)."""
        if self._paused():
            return None, value
        try:
            full_key = self.make_and_validate_key(key)
            client = self._cache.get_client(full_key, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.set(full_key, repr(value), nx=True, px=max(int(timeout * 1000), 1))
            pipe.get(full_key)
            claimed, held = pipe.execute()
        except (RedisError, OSError) as error:
            self._unavailable("claim", error)
            return None, value
        if claimed:
            return True, value
        try:
            return False, float(held)
        except (TypeError, ValueError):
            # Gone meanwhile, or written by something else: a time long past.
            return False, 0.0

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

    def delete(self, key: str, version: int | None = None) -> bool:
        if self._paused():
            return False
        try:
            return super().delete(key, version)
        except (RedisError, OSError) as error:
            self._unavailable("delete", error)
            return False

    def sliding_window_hit(self, key: str, limit: int, window: float) -> float | None:
        """Count one request against `limit` in any `window` seconds, in one round trip.

        None when the request is allowed (it is then counted), or when Redis cannot be
        asked (failing open, logged); otherwise the seconds until the oldest counted
        request leaves the window (a refused request is not counted). The requests are
        a sorted set of their times: exact, like DRF's history list, without reading
        and writing the whole list on every request.
        """
        if self._paused():
            return None
        try:
            full_key = self.make_and_validate_key(key)
            client = self._cache.get_client(full_key, write=True)
            script = _sliding_window_script or _register(client)
            now = time.time()
            member = f"{now:.6f}:{secrets.token_hex(4)}"
            allowed, wait = script(
                keys=[full_key], args=[now, window, limit, member], client=client
            )
        except (RedisError, OSError) as error:
            self._unavailable("sliding window", error)
            return None
        return None if int(allowed) else max(float(wait), 0.0)


# Drop what left the window, count the rest, add this request when there is room; else
# say when the oldest leaves. Atomic in Redis, so racing requests cannot both take the last
# place.
SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return {1, '0'}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + window - now)}
"""
_sliding_window_script: Any = None


def _register(client: Any) -> Any:
    """The script, sent by its hash (EVALSHA) and loaded again wherever Redis lacks it."""
    global _sliding_window_script
    _sliding_window_script = client.register_script(SLIDING_WINDOW)
    return _sliding_window_script
