"""The referral lifecycle: one transition door, the moves through it, the referrer's feedback."""

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, Refused, StaleVersion, ValidationError
from core.outbox import outbox_email_queue

from ..models import (
    TEXT_LIMIT,
    ClosureReason,
    Notification,
    Referral,
    ReferralEvent,
    RejectionReason,
    Status,
    triage_rank_for,
)
from ..selectors import move_refusal, referrals_visible_to, referrer_feedback_text
from .webhooks import referral_webhooks_queue

# Feedback the referrer hears, by the status reached (DESIGN.md: the missing loop).
FEEDBACK_STATUSES = (Status.ACCEPTED, Status.REJECTED, Status.IN_PROGRESS, Status.CLOSED)


def referral_transition(
    *,
    referral: Referral,
    actor,
    to_status: str,
    from_status: str | None = None,
    expected_version: int | None = None,
    note: str = "",
    internal_note: str = "",
    changes: dict | None = None,
    first_contact_at=None,
    request=None,
) -> Referral:
    """Move a referral along its lifecycle; the one door every status change goes through.

    The row is locked while the move is checked, so of two coordinators
    acting at once one wins and the other is refused with a clear message
    (the loser waits for the lock, then sees the new version or status).
    It writes the timeline event and the audit row itself, so no caller can
    make a move that leaves either out. `first_contact_at` is when the first
    conversation happened, when that was before it was recorded (waiting
    times are measured to the conversation).
    """
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleVersion(
                _(
                    "This referral was changed by someone else while you were looking at it "
                    "(it is now %(status)s). Nothing you entered was saved: check it and try again."
                )
                % {"status": locked.get_status_display()}
            )
        now = timezone.now()
        if from_status is not None and locked.status != from_status:
            # Resume and reopen both lead to in_progress; a stale page must not
            # turn one into the other.
            raise InvalidTransition(
                _("This referral is now %(status)s, so this step no longer applies.")
                % {"status": locked.get_status_display()}
            )
        refusal = move_refusal(actor=actor, referral=locked, to_status=to_status, now=now)
        if refusal:
            if actor is not None and not referrals_visible_to(actor).filter(pk=locked.pk).exists():
                # Out of the actor's sight: the same answer as for no such referral (404).
                raise Refused(refusal)
            raise InvalidTransition(refusal)
        from_status = locked.status
        for field, value in (changes or {}).items():
            setattr(locked, field, value)
        milestones: dict[str, str] = {
            Status.ACCEPTED: "accepted_at",
            Status.REJECTED: "rejected_at",
            Status.ALLOCATED: "allocated_at",
            Status.CLOSED: "closed_at",
            Status.CANCELLED: "cancelled_at",
        }
        milestone = milestones.get(to_status)
        if milestone:
            setattr(locked, milestone, now)
        first_contact = to_status == Status.IN_PROGRESS and locked.first_contact_at is None
        if first_contact:
            locked.first_contact_at = min(first_contact_at or now, now)
        locked.status = to_status
        locked.triage_rank = triage_rank_for(to_status, locked.urgency)
        locked.version += 1
        locked.save()
        ReferralEvent.objects.create(
            referral=locked, kind=ReferralEvent.Kind.STATUS, from_status=from_status,
            to_status=to_status, actor=actor, note=note, created_at=now,
        )  # fmt: skip
        if internal_note:
            ReferralEvent.objects.create(
                referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor, note=internal_note,
                visible_to_referrer=False, created_at=now,
            )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=locked, request=request,
            detail=_transition_detail(locked, from_status),
        )  # fmt: skip
        if to_status in FEEDBACK_STATUSES and (to_status != Status.IN_PROGRESS or first_contact):
            _queue_feedback(referral=locked, now=now)
        referral_webhooks_queue(
            referral=locked, to_status=to_status, first_contact=first_contact, now=now
        )
    return locked


def _transition_detail(referral: Referral, from_status: str) -> str:
    """The audit row's words for a move (not translated: the trail is read by administrators)."""
    if referral.status == Status.CLOSED:
        return f"closed: {referral.closure_reason}"
    if from_status == Status.CLOSED:
        return "reopened"
    return f"{from_status} -> {referral.status}"


def referral_accept(
    *, referral: Referral, actor: User, expected_version: int | None = None, note: str = "",
    request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.ACCEPTED,
        expected_version=expected_version, request=request, internal_note=note,
    )  # fmt: skip


def referral_reject(
    *, referral: Referral, actor: User, reason: str, suggested_alternative: str,
    expected_version: int | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    if reason not in RejectionReason.values:
        raise ValidationError(
            _("Choose a reason."), field_errors={"reason": [_("Choose a reason.")]}
        )
    if not suggested_alternative.strip() or len(suggested_alternative) > TEXT_LIMIT:
        message = _(
            "Suggest an alternative for the referrer, in %(limit)s characters or fewer."
        ) % {"limit": TEXT_LIMIT}
        raise ValidationError(message, field_errors={"suggested_alternative": [message]})
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.REJECTED,
        expected_version=expected_version, request=request, note=suggested_alternative,
        changes={"rejection_reason": reason, "suggested_alternative": suggested_alternative},
    )  # fmt: skip


def referral_cancel(
    *, referral: Referral, actor: User, reason: str = "", expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    if len(reason) > TEXT_LIMIT:
        message = _("Keep this to %(limit)s characters or fewer.") % {"limit": TEXT_LIMIT}
        raise ValidationError(message, field_errors={"reason": [message]})
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.CANCELLED,
        expected_version=expected_version, request=request, note=reason,
    )  # fmt: skip


def referral_start(
    *, referral: Referral, actor: User, note: str = "", expected_version: int | None = None,
    first_contact_at: datetime | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    """First contact made: the conversation begins (in_progress).

    Called by `linkworkers.services.contact_log` when the person is first reached,
    with the contact's time, so there is one way to start a case and it always
    has its contact row.
    """
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.IN_PROGRESS, from_status=Status.ALLOCATED,
        expected_version=expected_version, request=request, internal_note=note,
        first_contact_at=first_contact_at,
    )  # fmt: skip


def referral_hold(
    *, referral: Referral, actor: User, review_date: date | None, note: str = "",
    expected_version: int | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    if review_date is None or review_date < timezone.localdate():
        message = _("Choose a review date that is today or later.")
        raise ValidationError(message, field_errors={"review_date": [message]})
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.ON_HOLD,
        expected_version=expected_version, request=request, internal_note=note,
        changes={"hold_review_date": review_date},
    )  # fmt: skip


def referral_resume(
    *, referral: Referral, actor: User | None, note: str = "",
    expected_version: int | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.IN_PROGRESS, from_status=Status.ON_HOLD,
        expected_version=expected_version, request=request, internal_note=note,
        changes={"hold_review_date": None},
    )  # fmt: skip


def referral_close(
    *, referral: Referral, actor: User, reason: str, summary: str,
    expected_version: int | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    """Close with a reason; the summary is the message back to the referrer and GP."""
    errors = {}
    if reason not in ClosureReason.values:
        errors["reason"] = [_("Choose a reason.")]
    if not summary.strip() or len(summary) > TEXT_LIMIT:
        errors["summary"] = [
            _("Write a summary for the referrer, in %(limit)s characters or fewer.")
            % {"limit": TEXT_LIMIT}
        ]
    if errors:
        raise ValidationError(_("Please correct the errors below."), field_errors=errors)
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.CLOSED,
        expected_version=expected_version, request=request, note=summary,
        changes={"closure_reason": reason, "closure_summary": summary, "hold_review_date": None},
    )  # fmt: skip


def referral_reopen(
    *, referral: Referral, actor: User, note: str = "", expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    """Back to in_progress within REOPEN_DAYS of closure; the old closure stays in the timeline."""
    if len(note or "") > TEXT_LIMIT:
        message = _("Keep this to %(limit)s characters or fewer.") % {"limit": TEXT_LIMIT}
        raise ValidationError(message, field_errors={"note": [message]})
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.IN_PROGRESS, from_status=Status.CLOSED,
        expected_version=expected_version, request=request, internal_note=note,
        changes={"closure_reason": "", "closure_summary": "", "closed_at": None},
    )  # fmt: skip


def _feedback_message(referral) -> str:
    return {
        Status.ACCEPTED: _("Referral %(ref)s for %(name)s was accepted by %(scheme)s."),
        Status.REJECTED: _("Referral %(ref)s for %(name)s was not accepted by %(scheme)s."),
        Status.IN_PROGRESS: _("A link worker has made first contact with %(name)s (%(ref)s)."),
        Status.CLOSED: _("Referral %(ref)s for %(name)s has been closed."),
    }[referral.status] % {
        "ref": referral.reference,
        # What the referrer supplied, never the scheme's record of the person.
        "name": referral.person_as_referred,
        "scheme": referral.scheme.name,
    }


def _queue_feedback(*, referral, now):
    """Write the in-app notification and the outbox email; send after commit.

    The email is rendered now, with the person's choice of what may go back to
    their GP as it stands now (`referrer_feedback_text`): a later change of
    choice applies to later emails, never rewrites one already written. The
    notification carries no free text whatever the choice.
    """
    recipient = referral.referring_user
    if recipient is None or not recipient.is_active:
        return
    with translation.override(recipient.preferred_language):
        path = reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})
        context = {
            "referral": referral,
            "recipient": recipient,
            "message": _feedback_message(referral),
            "text": referrer_feedback_text(referral),
            "url": settings.SITE_URL.rstrip("/") + path,
        }
        # The feedback email carries what the person let go back, so it goes at once
        # whatever the referrer's digest choice; the notification is marked emailed.
        Notification.objects.create(
            recipient=recipient, referral=referral, message=context["message"], created_at=now,
            kind=Notification.Kind.FEEDBACK, url_path=path,
            emailed_at=now if recipient.email else None,
        )  # fmt: skip
        if not recipient.email:
            return
        outbox_email_queue(
            about_object=referral,
            to=recipient.email,
            template="referrals/email/feedback",
            context=context,
            now=now,
        )
