"""A hook into sign-in that only a signal offers.

Django announces a log-in only by signal, and log-ins come from more than one page (our
sign-in page and the admin's), so this receiver is the adapter. (A lockout is audited by the
axes handler, accounts/lockout.py.)
"""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp import user_has_device

# Set at sign-in when the person has a second factor, so that TwoFactorMiddleware asks for it
# even where it is optional, without looking devices up on every request.
TWO_FACTOR_PENDING = "two_factor_pending"


@receiver(user_logged_in, dispatch_uid="accounts.two_factor_pending")
def note_second_factor_pending(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[TWO_FACTOR_PENDING] = user_has_device(user)
