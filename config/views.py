"""The project shell's own pages: each role's home page and the load balancers' /healthz.

config knows every app (DESIGN.md, Layout), so the home page asks each app that
owns a role's work for its part of the page directly: no registry.
"""

from collections.abc import Callable

from celery.exceptions import CeleryError
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import KombuError

from accounts.models import Role, User
from linkworkers import home as linkworkers_home
from referrals import home as referrals_home
from referrals.services import referrals_view_record

from .celery import app as celery_app

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


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database and broker answer, 503 naming what is down."""
    state = {"database": _database_state(), "broker": _broker_state()}
    down = sorted(name for name, value in state.items() if value == "down")
    body: dict[str, str | list[str]] = {"status": "down" if down else "ok", **state}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
