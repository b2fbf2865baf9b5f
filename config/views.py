"""The project shell's own pages: each role's home page and the load balancers' /healthz.

config knows every app (DESIGN.md, Layout), so the home page asks each app that
owns a role's work for its part of the page directly: no registry.
"""

import sys
from collections.abc import Callable
from typing import Any

from celery.exceptions import CeleryError
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import KombuError

from accounts.models import Role, User
from core.heartbeat import heartbeats_read
from core.problems import problem_django_response
from fhir_api.outcomes import outcome_django_response
from linkworkers import home as linkworkers_home
from referrals import home as referrals_home
from referrals.services import referrals_view_record

from .celery import app as celery_app
from .middleware import API_PREFIX, DATABASE_OUTAGE, FHIR_PREFIX, database_unavailable

# What each role's home page shows, from the apps that own the work.
HOME_CONTEXT: dict[str, list[Callable[[User], dict]]] = {
    Role.REFERRER: [referrals_home.referrer_home],
    Role.COORDINATOR: [referrals_home.coordinator_home],
    Role.LINK_WORKER: [referrals_home.link_worker_home, linkworkers_home.link_worker_home],
    Role.PEER_NAVIGATOR: [linkworkers_home.peer_navigator_home],
    Role.PROVIDER: [linkworkers_home.provider_home],
}


HOME_TEMPLATES: dict[str, str] = {
    Role.REFERRER: "accounts/home_referrer.html",
    Role.LINK_WORKER: "accounts/home_link_worker.html",
    Role.COORDINATOR: "accounts/home_coordinator.html",
    Role.PROVIDER: "accounts/home_provider.html",
    Role.COMMISSIONER: "accounts/home_commissioner.html",
    Role.ADMIN: "accounts/home_admin.html",
    Role.PEER_NAVIGATOR: "accounts/home_peer_navigator.html",
    Role.DPO: "accounts/home_dpo.html",
}


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: each role's own work once signed in, the public front page before."""
    if not isinstance(request.user, User):
        return render(request, "accounts/home_public.html")
    template = HOME_TEMPLATES.get(request.user.role, "accounts/home_no_role.html")
    parts = HOME_CONTEXT.get(request.user.role, [])
    context, shown = _home_context(request.user, parts)
    if parts:
        # A home page that lists people writes one audit row naming them (even none).
        referrals_view_record(
            referrals=shown, actor=request.user, what="home page", request=request
        )
    return render(request, template, {"organisation": request.user.organisation, **context})


def _home_context(user: User, parts: list[Callable[[User], dict]]) -> tuple[dict, list]:
    """The page's context from each app's part, and the referrals whose people they show."""
    context: dict = {}
    shown: list = []
    for part in parts:
        values = part(user)
        shown.extend(values.pop(referrals_home.SHOWN, []))
        context.update(values)
    return context, shown


# What /healthz reports on, each "ok" or else named in "down".
PARTS = ("database", "broker", "worker", "beat")


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except DatabaseError:
        return "down"


def _broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tasks run in-process (make run, tests): there is no broker to be down.
        return "eager"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except (OSError, KombuError, CeleryError):
        return "down"


def _workers_state(database: str) -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tasks run in-process: there is no worker or beat to be alive.
        return {"worker": "eager", "beat": "eager"}
    if database != "ok":
        # The heartbeats are in the database.
        return {"worker": "unknown", "beat": "unknown"}
    try:
        return heartbeats_read()
    except DatabaseError:
        return {"worker": "unknown", "beat": "unknown"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring (README, "What /healthz says").

    503 only when the database is down: then nothing works, and a load balancer
    should send no one here. A broker outage, or a worker or beat whose heartbeat
    is stale, answers 200 with "status": "degraded" naming them: pages still work
    and the work waits (DESIGN.md: degrade, never fail), and taking every web
    process out of service because a worker died would turn a delay into an outage.
    """
    database = _database_state()
    state: dict[str, Any] = {
        "database": database,
        "broker": _broker_state(),
        **_workers_state(database),
    }
    down = sorted(name for name in PARTS if state[name] in ("down", "stale", "unknown"))
    status = "down" if "database" in down else "degraded" if down else "ok"
    body = {"status": status, **state}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if status == "down" else 200)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: what nothing else caught, in a view or in middleware.

    The database out of reach is a 503 (config/middleware.py), wherever it was
    found, the session middleware included; any other error on the APIs is still
    problem JSON; on pages, Django's own 500.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_OUTAGE):
        return database_unavailable(request, error)
    if request.path_info.startswith(FHIR_PREFIX):
        return outcome_django_response(
            status_code=500,
            detail=_("Something went wrong on our side. It has been logged; try again later."),
            request=request,
        )
    if request.path_info.startswith(API_PREFIX):
        return problem_django_response(
            status_code=500,
            detail=_("Something went wrong on our side. It has been logged; try again later."),
            request=request,
        )
    return defaults.server_error(request)
