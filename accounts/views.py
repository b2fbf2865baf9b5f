from base64 import b32encode, b64encode
from io import BytesIO
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_static.models import StaticToken
from django_ratelimit.decorators import ratelimit

from core.client_address import client_address_key
from core.exceptions import ValidationError

from . import services
from .forms import LoginForm, NotificationEmailForm, OutboxPasswordResetForm, TwoFactorCodeForm
from .models import AuditEvent, NotificationEmail
from .receivers import TWO_FACTOR_PENDING


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


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What axes answers instead of the sign-in form while an account or address is locked."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


def _reset_email_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()[:254]


def _reset_rate_per_address(group: str, request: HttpRequest) -> tuple[int, int]:
    return settings.PASSWORD_RESET_RATE_PER_ADDRESS, 3600


def _reset_rate_per_email(group: str, request: HttpRequest) -> tuple[int, int]:
    return settings.PASSWORD_RESET_RATE_PER_EMAIL, 3600


# Reset requests are counted per client address and per email address asked for, whether or
# not an account has it, so the answer (sent, or too many) says nothing about who has one.
@method_decorator(
    ratelimit(
        group="password-reset-address",
        key=client_address_key,
        rate=_reset_rate_per_address,
        method="POST",
        block=False,
    ),
    name="post",
)
@method_decorator(
    ratelimit(
        group="password-reset-email",
        key=_reset_email_key,
        rate=_reset_rate_per_email,
        method="POST",
        block=False,
    ),
    name="post",
)
class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"

    def post(self, request, *args, **kwargs):
        if request.limited:
            return render(request, "registration/password_reset_limited.html", status=429)
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")


# --- The second factor -------------------------------------------------------------------

RECOVERY_CODES_SESSION_KEY = "two_factor_new_recovery_codes"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _with_next(view_name: str, next_url: str) -> str:
    return f"{reverse(view_name)}?{urlencode({'next': next_url})}"


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    next_url = _next_url(request)
    if request.user.is_verified():  # type: ignore[union-attr]  # added by django-otp
        return redirect(next_url)
    if not services.two_factor_devices(request.user):
        return redirect(_with_next("accounts:two_factor_setup", next_url))
    form = TwoFactorCodeForm(
        request.POST or None,
        help_text=_(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        ),
    )
    if request.method == "POST" and form.is_valid():
        if services.two_factor_verify(request=request, token=form.cleaned_data["code"]):
            request.session.pop(TWO_FACTOR_PENDING, None)
            return redirect(next_url)
        form.add_error(
            "code",
            _(
                "That code did not work. Check it and try again; after several wrong codes "
                "you need to wait a little longer before each try."
            ),
        )
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


def _qr_code_data_uri(text: str) -> str:
    # An image from a data: URI: no inline script or style for the Content-Security-Policy.
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, border=2)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + b64encode(buffer.getvalue()).decode()


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code, confirm a code, get recovery codes."""
    next_url = _next_url(request)
    user = request.user
    # Someone holding only the password must not add their own authenticator to an account
    # that has one: replacing it takes a session verified with the current one.
    if not user.is_verified() and services.two_factor_devices(user):  # type: ignore[union-attr]
        return redirect(_with_next("accounts:two_factor", next_url))
    device = services.two_factor_enrolment_start(user=user)
    form = TwoFactorCodeForm(
        request.POST or None,
        numeric=True,
        help_text=_("The 6-digit code your authenticator app shows for this account."),
    )
    if request.method == "POST" and form.is_valid():
        codes = services.two_factor_enrol(
            request=request, device=device, token=form.cleaned_data["code"]
        )
        if codes is not None:
            request.session.pop(TWO_FACTOR_PENDING, None)
            request.session[RECOVERY_CODES_SESSION_KEY] = codes
            return redirect(_with_next("accounts:two_factor_codes", next_url))
        form.add_error(
            "code",
            _(
                "That code did not work. Check the time on your phone is right, and type "
                "the code it shows now."
            ),
        )
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr_code": _qr_code_data_uri(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "registration/two_factor_setup.html", context)


@never_cache
@login_required
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown this once: they are not kept anywhere they can be read."""
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("accounts:security")
    return render(
        request,
        "registration/two_factor_codes.html",
        {"codes": codes, "next": _next_url(request)},
    )


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The person's own sign-in settings: whether a second factor is set up, codes left."""
    devices = services.two_factor_devices(request.user)
    codes_left = StaticToken.objects.filter(
        device__user=request.user, device__confirmed=True
    ).count()
    context = {
        "has_authenticator": any(d.persistent_id.startswith("otp_totp.") for d in devices),
        "codes_left": codes_left,
        "required": settings.OTP_REQUIRED,
    }
    return render(request, "registration/security.html", context)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The person's own account: who they are here, and how they hear of notifications."""
    if request.method == "POST":
        form = NotificationEmailForm(request.POST)
        if form.is_valid():
            try:
                services.user_notification_email_set(
                    user=request.user, choice=form.cleaned_data["notification_email"],
                    request=request,
                )  # fmt: skip
            except ValidationError as error:
                for field, field_messages in error.field_errors.items():
                    for message in field_messages:
                        form.add_error(field, message)
            else:
                messages.success(request, _("Your email choice is saved."))
                return redirect("accounts:account")
    else:
        choice = getattr(request.user, "notification_email", NotificationEmail.IMMEDIATELY)
        form = NotificationEmailForm(initial={"notification_email": choice})
    return render(request, "registration/account.html", {"form": form})
