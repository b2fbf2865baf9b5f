"""Response headers the whole site shares (README, "Security").

People's health records are on these pages, in these exports and in these API
answers: no browser, proxy or shared computer may keep a copy. The rule is
the simplest honest one: every answer Django makes says `Cache-Control:
no-store`, whoever asked, except the Open Referral directory API, which takes
no credentials and carries only the public listings. Static files never reach
this middleware (WhiteNoise answers them first, with its own long cache
lifetime for their hashed names).
"""

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_structlog.signals import bind_extra_request_metadata

from core.client_address import client_address
from core.problems import problem_django_response
from fhir_api.outcomes import outcome_django_response

logger = logging.getLogger(__name__)

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


# --- The database out of reach (issue 18; README, "What survives what") ------------------------

# What an unreachable, restarting or overloaded database raises; a constraint violation
# (IntegrityError) is a bug or a race, not an outage, and stays a 500.
DATABASE_OUTAGE = (OperationalError, InterfaceError)
API_PREFIX = "/api/"
FHIR_PREFIX = "/fhir/"


def database_unavailable(request: HttpRequest, error: BaseException) -> HttpResponse:
    """503 with Retry-After: problem JSON on the APIs, the bilingual page (503.html) elsewhere.

    Made without the database: the page is rendered with no request, so no context
    processor runs (no user, no messages).
    """
    logger.warning(
        "Database unavailable (%s: %s): answered 503 to %s",
        type(error).__name__,
        error,
        request.path,
    )
    response: HttpResponse
    if request.path_info.startswith(FHIR_PREFIX):
        response = outcome_django_response(
            status_code=503,
            detail=_(
                "The service cannot reach its database just now. Try again after the time "
                "in Retry-After; a ServiceRequest with an identifier may be sent again safely."
            ),
            request=request,
        )
    elif request.path_info.startswith(API_PREFIX):
        response = problem_django_response(
            status_code=503,
            detail=_(
                "The service cannot reach its database just now. Try again after the time "
                "in Retry-After; a write sent with an Idempotency-Key may be sent again safely."
            ),
            request=request,
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A view that finds the database out of reach answers 503, not a 500.

    For errors in views. The same answer for errors in other middleware (loading
    the session, saving it after the view) comes from config.views.server_error,
    Django's handler for what no view caught.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_OUTAGE):
            return database_unavailable(request, exception)
        return None


# What an upstream request id may look like (a uuid, HAProxy's unique-id, nginx's $request_id).
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


class RequestIdMiddleware:
    """Give each request an id for the logs (config/logs.py) and the answer's X-Request-ID.

    An X-Request-ID from the load balancer is kept when TRUST_REQUEST_ID_HEADER is
    on and it looks like an id; anything else (absent, too long, odd characters) is
    replaced by a new uuid, so a hostile header cannot forge or garble log lines.
    Runs before django-structlog's RequestMiddleware, which binds the id to every
    log line of the request and to the Celery tasks it queues.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        if settings.TRUST_REQUEST_ID_HEADER and REQUEST_ID.fullmatch(given):
            request_id = given
        else:
            request_id = str(uuid.uuid4())
        request.META["HTTP_X_REQUEST_ID"] = request_id
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def bind_client_address(request: HttpRequest, **kwargs: Any) -> None:
    """The log lines' `ip`: the client address the audit trail and rate limits use.

    django-structlog's own (DJANGO_STRUCTLOG_IP_LOGGING_ENABLED, off in settings) reads
    X-Forwarded-For and a dozen other headers whoever sends them, so a client could
    write any address into the log; this one trusts only TRUSTED_PROXY_COUNT proxies.
    """
    structlog.contextvars.bind_contextvars(ip=client_address(request))


bind_extra_request_metadata.connect(bind_client_address, dispatch_uid="sp-client-address")
