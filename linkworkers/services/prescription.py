"""The social prescription given to the person."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, Refused
from core.outbox import outbox_email_queue
from referrals.models import (
    ContactMethod,
    Referral,
    ReferralEvent,
)

from ..selectors import (
    can_work_on,
    case_in_sight_of,
    prescription_for,
)


def prescription_email_send(
    *, referral: Referral, actor: User, request: HttpRequest | None = None
) -> None:
    """Email the person their social prescription, when email is how they asked to be contacted."""
    person = referral.person
    if not can_work_on(actor, referral):
        raise (InvalidTransition if case_in_sight_of(actor, referral) else Refused)(
            _("Only the link worker holding this case can send this.")
        )
    if person.contact_method != ContactMethod.EMAIL or not person.email:
        raise InvalidTransition(
            _("The person did not ask to be contacted by email, or has no email address.")
        )
    now = timezone.now()
    with transaction.atomic(), translation.override(person.preferred_language):
        context = {"referral": referral, "person": person, **prescription_for(referral)}
        outbox_email_queue(
            about_object=referral,
            to=person.email,
            template="linkworkers/email/prescription",
            context=context,
            now=now,
        )
        ReferralEvent.objects.create(
            referral=referral,
            kind=ReferralEvent.Kind.MESSAGE,
            actor=actor,
            note=_("Social prescription emailed to the person."),
            visible_to_referrer=False,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.EXPORT,
            obj=referral,
            request=request,
            detail="social prescription emailed",
        )
