"""How django-axes counts failed sign-ins here: by account, and by address with a higher limit.

Many staff can share one address (a GP practice, or a whole NHS network, behind one NAT),
so an address gets LOGIN_ADDRESS_FAILURE_LIMIT failures before it locks, while an account
gets AXES_FAILURE_LIMIT. Axes compares a single count with AXES_FAILURE_LIMIT, so the address
count is scaled to that limit: each count then reaches it exactly when it reaches its own.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.db.models import Sum

from . import services


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class SigninLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        # One queryset per AXES_LOCKOUT_PARAMETERS entry: ["username", "ip_address"].
        by_account, by_address = self.get_user_attempts(request, credentials)
        account_limit = settings.AXES_FAILURE_LIMIT
        address_limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
        address = _failures(by_address) * account_limit // address_limit
        return max(_failures(by_account), address)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        """Record the failure (axes), and audit the moment it locks an account or address."""
        was_locked = request is not None and self.is_locked(request, credentials)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not was_locked and getattr(request, "axes_locked_out", False):
            services.signin_lockout_record(
                request=request,
                username=get_client_username(request, credentials),
            )
