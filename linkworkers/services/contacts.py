"""Contact attempts and meetings with the person."""

from datetime import date, datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from referrals.models import (
    Referral,
    ReferralEvent,
    Status,
)
from referrals.services import (
    referral_start,
)

from ..models import (
    NOTE_LIMIT,
    Contact,
    ContactMode,
    ContactOutcome,
)
from ..selectors import (
    can_log_contact,
    can_work_on,
)
from .cases import lock_open_case, not_theirs, raise_if, too_long

MAX_CONTACT_MINUTES = 600


def contact_log(
    *,
    referral: Referral,
    actor: User,
    happened_at: datetime | None,
    mode: str,
    outcome: str,
    minutes: int | None = 0,
    notes: str = "",
    next_contact_on: date | None = None,
    request: HttpRequest | None = None,
) -> Contact:
    """Record a contact attempt or meeting.

    The first time the person is reached on an allocated case, the case moves
    to in progress through `referral_start`, which tells the referrer; its
    first-contact milestone is then set to when the contact happened, since
    waiting times are measured to the conversation, not to its recording.
    """
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if happened_at is None:
        errors["happened_at"] = [_("Say when the contact happened.")]
    elif happened_at > now:
        errors["happened_at"] = [_("A contact cannot be in the future.")]
    if mode not in ContactMode.values:
        errors["mode"] = [_("Choose how you made contact.")]
    if outcome not in ContactOutcome.values:
        errors["outcome"] = [_("Choose what happened.")]
    if minutes is None or not 0 <= minutes <= MAX_CONTACT_MINUTES:
        errors["minutes"] = [
            _("Give the minutes spent, from 0 to %(max)s.") % {"max": MAX_CONTACT_MINUTES}
        ]
    if len(notes or "") > NOTE_LIMIT:
        errors["notes"] = [too_long(NOTE_LIMIT)]
    if next_contact_on and happened_at and next_contact_on < timezone.localdate(happened_at):
        errors["next_contact_on"] = [_("The next contact cannot be before this one.")]
    raise_if(errors)
    # raise_if refused both when missing; this tells the type checker so.
    assert happened_at is not None and minutes is not None

    with transaction.atomic():
        # A peer navigator attached to the case logs their own contacts too.
        locked = lock_open_case(referral=referral, actor=actor, refusal=not_theirs("contact"),
                                 may=can_log_contact)  # fmt: skip
        contact = Contact.objects.create(
            referral=locked, happened_at=happened_at, mode=mode, outcome=outcome,
            minutes=minutes, notes=notes or "", next_contact_on=next_contact_on,
            recorded_by=actor, created_at=now,
        )  # fmt: skip
        summary = _("%(mode)s: %(outcome)s (%(minutes)s min).") % {
            "mode": contact.get_mode_display(),
            "outcome": contact.get_outcome_display(),
            "minutes": minutes,
        }
        # Link worker notes never reach the referrer (DESIGN.md, Who may see what).
        ReferralEvent.objects.create(
            referral=locked, kind=ReferralEvent.Kind.CONTACT, actor=actor,
            note=f"{summary}\n{notes}".strip(), visible_to_referrer=False, created_at=now,
        )  # fmt: skip
        # First contact is the link worker's: a peer navigator's call does not start the case.
        if (
            outcome == ContactOutcome.REACHED
            and locked.status == Status.ALLOCATED
            and can_work_on(actor, locked)
        ):
            locked = referral_start(
                referral=locked, actor=actor, first_contact_at=happened_at, request=request
            )
        audit_record(
            actor=actor, action=AuditEvent.Action.CREATE, obj=contact, request=request,
            detail=f"contact on referral {locked.reference}",
        )  # fmt: skip
    return contact
