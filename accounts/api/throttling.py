"""Each API client's own rate limit (requests per minute), counted in the rate-limit cache."""

from django.conf import settings
from django.core.cache import BaseCache, caches
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    """`client.rate_limit` requests in any 60 seconds; the rest answer 429 with Retry-After."""

    cache_format = "api-client-throttle:%s"

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        # The rate-limit cache fails open (core.cache): with Redis down the API answers,
        # unthrottled and logged, instead of failing every call.
        return caches[settings.RATELIMIT_USE_CACHE]

    def __init__(self):
        # The rate is the client's, known only once the request is authenticated.
        pass

    def allow_request(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        self.rate = f"{client.rate_limit}/min"
        self.num_requests, self.duration = client.rate_limit, 60
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % request.auth.pk
