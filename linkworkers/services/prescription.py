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

from ..models import PersonMessage
from ..selectors import (
    can_work_on,
    case_in_sight_of,
    prescription_for,
)
from .messages import prescription_channel, prescription_notify_send


def _must_hold(actor: User, referral: Referral) -> None:
    if not can_work_on(actor, referral):
        raise (InvalidTransition if case_in_sight_of(actor, referral) else Refused)(
            _("Only the link worker holding this case can send this.")
        )


def prescription_text_send(
    *, referral: Referral, actor: User, request: HttpRequest | None = None
) -> None:
    """Text the person their social prescription through GOV.UK Notify, when they asked for texts.

    Without Notify (no NOTIFY_API_KEY, or no template) the page offers the text to copy.
    """
    _must_hold(actor, referral)
    person = referral.person
    if person.contact_method != ContactMethod.TEXT or not person.phone:
        raise InvalidTransition(
            _("The person did not ask to be contacted by text message, or has no phone number.")
        )
    if prescription_channel(referral) != PersonMessage.Channel.SMS:
        raise InvalidTransition(
            _("Text messages are not set up here: copy the text version and send it yourself.")
        )
    prescription_notify_send(
        referral=referral, actor=actor, request=request, channel=PersonMessage.Channel.SMS
    )


def prescription_email_send(
    *, referral: Referral, actor: User, request: HttpRequest | None = None
) -> None:
    """Email the person their social prescription, when email is how they asked to be contacted.

    Through GOV.UK Notify when it is set up (its delivery status then shows on the
    page), else by the site's own email.
    """
    person = referral.person
    _must_hold(actor, referral)
    if person.contact_method != ContactMethod.EMAIL or not person.email:
        raise InvalidTransition(
            _("The person did not ask to be contacted by email, or has no email address.")
        )
    if prescription_channel(referral) == PersonMessage.Channel.EMAIL:
        prescription_notify_send(
            referral=referral, actor=actor, request=request, channel=PersonMessage.Channel.EMAIL
        )
        return
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
