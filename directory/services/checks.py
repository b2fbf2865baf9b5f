"""Link workers' pre-referral checks of a service, and the referral figures shown on a listing."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, ValidationError

from .. import selectors
from ..models import (
    Service,
    ServiceCheck,
)


def service_check_record(
    *,
    service: Service,
    actor: User,
    safeguarding_policy: bool,
    insurance: bool,
    dbs: str,
    visited: bool,
    notes: str = "",
    checked_on: date | None = None,
) -> ServiceCheck:
    """Record a link worker's pre-referral check of a service (what they saw, and when)."""
    if not selectors.user_can_check_services(actor):
        raise InvalidTransition(_("Only link workers, coordinators and editors record checks."))
    checked_on = checked_on or timezone.localdate()
    notes = (notes or "").strip()
    errors: dict[str, list[str]] = {}
    if dbs not in ServiceCheck.Dbs.values:
        errors["dbs"] = [_("Say whether staff have DBS checks, or that they are not relevant.")]
    if checked_on > timezone.localdate():
        errors["checked_on"] = [_("The date of the check cannot be in the future.")]
    max_length = ServiceCheck._meta.get_field("notes").max_length
    if max_length is not None and len(notes) > max_length:
        errors["notes"] = [_("Keep the notes under %(count)d characters.") % {"count": max_length}]
    if errors:
        raise ValidationError(_("Please correct the errors below."), field_errors=errors)
    with transaction.atomic():
        check = ServiceCheck.objects.create(
            service=service,
            checked_by=actor,
            checked_on=checked_on,
            safeguarding_policy=bool(safeguarding_policy),
            insurance=bool(insurance),
            dbs=dbs,
            visited=bool(visited),
            notes=notes,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=check,
            detail=f"pre-referral check of service {service.uuid}",
        )
    return check


def service_update_referral_stats(
    *, service: Service, usual_reply_days: int | None, accepted_share: Decimal | None
) -> None:
    """Store how the provider answers referrals (computed by linkworkers, shown on the listing)."""
    Service.objects.filter(pk=service.pk).update(
        usual_reply_days=usual_reply_days, accepted_share=accepted_share
    )
