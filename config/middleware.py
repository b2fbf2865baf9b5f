"""Response headers the whole site shares (README, "Security").

People's health records are on these pages, in these exports and in these API
answers: no browser, proxy or shared computer may keep a copy. The rule is
the simplest honest one: every answer Django makes says `Cache-Control:
no-store`, whoever asked, except the Open Referral directory API, which takes
no credentials and carries only the public listings. Static files never reach
this middleware (WhiteNoise answers them first, with its own long cache
lifetime for their hashed names).
"""

from django.utils.cache import add_never_cache_headers

# Public, anonymous, and the same for everyone: partners' caches may keep it.
CACHEABLE_PREFIXES = ("/api/oruk/",)


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path_info.startswith(CACHEABLE_PREFIXES):
            # no-store (and, for old proxies, no-cache, must-revalidate, private, max-age=0),
            # replacing whatever a view asked for.
            add_never_cache_headers(response)
        return response
