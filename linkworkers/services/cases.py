"""What every change to an open case shares: locking it and checking who may work on it."""

from collections.abc import Callable

from django.utils.translation import gettext as _

from accounts.models import User
from core.exceptions import InvalidTransition, Refused, ValidationError
from referrals.models import (
    OPEN_STATUSES,
    Referral,
)

from ..selectors import (
    can_work_on,
    case_in_sight_of,
)


def too_long(limit: int) -> str:
    return _("Keep this to %(limit)s characters or fewer.") % {"limit": limit}


def raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(_("Please correct the errors below."), field_errors=errors)


def lock_open_case(
    *,
    referral: Referral,
    actor: User,
    refusal: str,
    may: Callable[[User, Referral], bool] = can_work_on,
    seen: Callable[[], bool] | None = None,
) -> Referral:
    """Lock the referral row and check `actor` may work on it now (open, and theirs).

    The refusal is Refused (404) when the actor cannot see what they acted on
    (`seen`, by default whether the case is in their sight), else a reason.
    """
    locked: Referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not may(actor, locked):
        in_sight = seen() if seen is not None else case_in_sight_of(actor, locked)
        raise (InvalidTransition if in_sight else Refused)(refusal)
    if locked.status not in OPEN_STATUSES:
        raise InvalidTransition(
            _("This case is %(status)s: reopen it first.") % {"status": locked.get_status_display()}
        )
    return locked


def not_theirs(doing: str) -> str:
    return {
        "contact": _("Only the link worker holding this case can record a contact."),
        "what_matters": _("Only the link worker holding this case can record what matters."),
        "plan": _("Only the link worker holding this case can change the plan."),
    }[doing]
