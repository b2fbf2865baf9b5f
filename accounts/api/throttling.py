"""Each API client's own rate limit (requests per minute), counted in the rate-limit cache."""

from django.conf import settings
from django.core.cache import BaseCache, caches
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiClient

WINDOW_SECONDS = 60


class ApiClientRateThrottle(SimpleRateThrottle):
    """`client.rate_limit` requests in any 60 seconds; the rest answer 429 with Retry-After.

    On Redis the count is one round trip (core.cache: a sorted set of request times,
    trimmed and counted by a script), whatever the limit; DRF's own throttle read and
    wrote the whole history list on every request, which at a limit of thousands a
    minute cost more than the answer. Elsewhere (no REDIS_URL) DRF's history list does
    it. Either way the cache fails open: with Redis down the API answers, unthrottled
    and logged, instead of failing every call.
    """

    cache_format = "api-client-throttle:%s"

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        return caches[settings.RATELIMIT_USE_CACHE]

    def __init__(self):
        # The rate is the client's, known only once the request is authenticated.
        self._wait: float | None = None

    def allow_request(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        cache = self.cache
        key = self.cache_format % client.pk
        sliding_window_hit = getattr(cache, "sliding_window_hit", None)
        if sliding_window_hit is not None:
            self._wait = sliding_window_hit(key, client.rate_limit, WINDOW_SECONDS)
            return self._wait is None
        self.rate = f"{client.rate_limit}/min"
        self.num_requests, self.duration = client.rate_limit, WINDOW_SECONDS
        return super().allow_request(request, view)

    def wait(self):
        if self._wait is not None:
            return self._wait
        return super().wait()

    def get_cache_key(self, request, view):
        return self.cache_format % request.auth.pk
