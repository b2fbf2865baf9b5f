from celery.exceptions import CeleryError
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import KombuError

from config.celery import app as celery_app

from . import services
from .forms import LoginForm
from .home import home_context
from .models import AuditEvent, Role

HOME_TEMPLATES = {
    Role.REFERRER: "accounts/home_referrer.html",
    Role.LINK_WORKER: "accounts/home_link_worker.html",
    Role.COORDINATOR: "accounts/home_coordinator.html",
    Role.PROVIDER: "accounts/home_provider.html",
    Role.COMMISSIONER: "accounts/home_commissioner.html",
    Role.ADMIN: "accounts/home_admin.html",
    Role.PEER_NAVIGATOR: "accounts/home_peer_navigator.html",
}


def home(request):
    """The landing page: each role's own work once signed in, the public front page before."""
    if not request.user.is_authenticated:
        return render(request, "accounts/home_public.html")
    template = HOME_TEMPLATES.get(request.user.role, "accounts/home_no_role.html")
    context = {"organisation": request.user.organisation, **home_context(request.user)}
    return render(request, template, context)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        services.audit_record(
            actor=form.get_user(), action=AuditEvent.Action.LOGIN, request=self.request
        )
        return response

    def form_invalid(self, form):
        services.audit_record(
            actor=None,
            action=AuditEvent.Action.LOGIN_FAILED,
            request=self.request,
            detail=f"username={form.data.get('username', '')[:150]}",
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            services.audit_record(
                actor=request.user, action=AuditEvent.Action.LOGOUT, request=request
            )
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordResetView(auth_views.PasswordResetView):
    success_url = reverse_lazy("accounts:password_reset_done")
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")


def _database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except DatabaseError:
        return "down"


def _broker_state():
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
def healthz(request):
    """For load balancers: 200 when the database and broker answer, 503 naming what is down."""
    state = {"database": _database_state(), "broker": _broker_state()}
    down = sorted(name for name, value in state.items() if value == "down")
    body = {"status": "down" if down else "ok", **state}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
