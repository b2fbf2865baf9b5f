"""What partner systems hear of a referral's moves: one webhook event per status change.

Called by the one transition door (`lifecycle.referral_transition`), inside its
transaction, so the delivery outbox row exists exactly when the move does
(accounts/webhooks.py delivers it). The payload carries no one's name or
details: the referral's id, reference, status and dates, and the scheme's words
(the closure summary, a rejection's suggested alternative) only when the person
chose to let them reach the referrer (`referrer_may_see_text`), as the partner
API shows them. A partner reads the rest from the API.
"""

from datetime import date, datetime

from django.conf import settings
from django.urls import reverse

from accounts.models import WebhookEvent
from accounts.webhooks import webhook_messages_queue

from ..models import Referral, Status
from ..selectors import referrer_may_see_text

EVENT_FOR_STATUS: dict[str, str] = {
    Status.ACCEPTED: WebhookEvent.REFERRAL_ACCEPTED,
    Status.REJECTED: WebhookEvent.REFERRAL_REJECTED,
    Status.ALLOCATED: WebhookEvent.REFERRAL_ALLOCATED,
    Status.ON_HOLD: WebhookEvent.REFERRAL_ON_HOLD,
    Status.CLOSED: WebhookEvent.REFERRAL_CLOSED,
    Status.CANCELLED: WebhookEvent.REFERRAL_CANCELLED,
}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def referral_webhook_data(referral: Referral) -> dict:
    """The event's `data`: what the referring organisation may know of the referral now."""
    shown = referrer_may_see_text(referral)
    path = reverse("api-v1:referral-detail", kwargs={"id": referral.uuid})
    return {
        "id": str(referral.uuid),
        "reference": referral.reference,
        "status": referral.status,
        "version": referral.version,
        "url": settings.SITE_URL.rstrip("/") + path,
        "received_at": _iso(referral.received_at),
        "accepted_at": _iso(referral.accepted_at),
        "rejected_at": _iso(referral.rejected_at),
        "allocated_at": _iso(referral.allocated_at),
        "first_contact_at": _iso(referral.first_contact_at),
        "closed_at": _iso(referral.closed_at),
        "cancelled_at": _iso(referral.cancelled_at),
        "rejection_reason": referral.rejection_reason or None,
        "suggested_alternative": (referral.suggested_alternative or None) if shown else None,
        "hold_review_date": _iso(referral.hold_review_date),
        "closure_reason": referral.closure_reason or None,
        "closure_summary": (referral.closure_summary or None) if shown else None,
    }


def referral_webhooks_queue(
    *, referral: Referral, to_status: str, first_contact: bool, now: datetime
) -> None:
    """Write the event for this move to each subscribed endpoint of the referring organisation."""
    if referral.referring_organisation_id is None:
        return  # a self-referral: no partner made it
    event = (
        WebhookEvent.REFERRAL_FIRST_CONTACT if first_contact else EVENT_FOR_STATUS.get(to_status)
    )
    if event is None:
        return  # resumed or reopened: not an event partners chose
    webhook_messages_queue(
        organisation_id=referral.referring_organisation_id,
        event_type=event,
        ordering_key=f"referrals.referral:{referral.uuid}",
        data=referral_webhook_data(referral),
        occurred_at=now,
    )
