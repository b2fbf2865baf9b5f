"""No page for a signed-in person until their second factor is verified, where one is needed."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from .receivers import TWO_FACTOR_PENDING

# What an unverified session may still reach: the second-factor pages themselves, signing
# out, the language switch and the health check. The API authenticates by token, never by
# the session, so the session's state means nothing there.
EXEMPT_VIEWS = {
    "accounts:two_factor",
    "accounts:two_factor_setup",
    "accounts:logout",
    "set_language",
    "healthz",
}


class TwoFactorMiddleware:
    """Send an unverified session to the second-factor page (which offers set-up if need be).

    A second factor is needed whenever OTP_REQUIRED is on, and for anyone who has set one
    up (noted at sign-in). Must come after django_otp's OTPMiddleware. It covers every page,
    the Django admin included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if not (settings.OTP_REQUIRED or request.session.get(TWO_FACTOR_PENDING)):
            return None
        match = request.resolver_match
        if match.view_name in EXEMPT_VIEWS or request.path_info.startswith("/api/"):
            return None
        return redirect_to_login(
            request.get_full_path(), reverse("accounts:two_factor"), redirect_field_name="next"
        )
