"""Hooks into sign-in that only a signal offers: the work itself is in services.

Django and django-axes announce a log-in and a lockout only by signal, and they come from
more than one page (our sign-in page and the admin's), so these receivers are the adapter.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp import user_has_device

from . import services

# Set at sign-in when the person has a second factor, so that TwoFactorMiddleware asks for it
# even where it is optional, without looking devices up on every request.
TWO_FACTOR_PENDING = "two_factor_pending"


@receiver(user_logged_in, dispatch_uid="accounts.two_factor_pending")
def note_second_factor_pending(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[TWO_FACTOR_PENDING] = user_has_device(user)


@receiver(user_locked_out, dispatch_uid="accounts.audit_lockout")
def audit_lockout(sender, request, username, ip_address, **kwargs):
    services.signin_lockout_record(
        request=request,
        username=username,
        failures=getattr(request, "axes_failures_since_start", 0),
    )
