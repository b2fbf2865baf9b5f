"""The person's choices about their referral that can change after it was made."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, Refused, StaleVersion, ValidationError

from ..models import GPFeedback, Referral, ReferralEvent
from ..selectors import may_change_gp_feedback, referrals_visible_to


def referral_gp_feedback_change(
    *,
    referral: Referral,
    actor: User,
    gp_feedback: str,
    expected_version: int,
    request: HttpRequest | None = None,
) -> Referral:
    """Record the person's new choice of what may go back to their GP; it applies from now on.

    The person tells the scheme, so the link worker holding the case or a
    coordinator of the scheme records it; anyone else who cannot see the
    referral is refused as if it were not there (404). The row is locked and the version checked,
    so a choice made on an out-of-date page is refused, never overwriting a
    newer one. A timeline event only the scheme sees and the audit row say who
    changed it and when.

    "From now on": feedback emails are written when the change they report
    happens, so those already written keep what they said (history), and
    every later one follows the new choice. The referral page, its timeline
    and the partner API always show the current choice's view (see
    `selectors.referrer_may_see_text`); no email is sent about the change itself.
    """
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if not may_change_gp_feedback(actor, locked):
            refusal = _(
                "Only the link worker holding this case or a coordinator of the scheme can "
                "record the person's choice."
            )
            if referrals_visible_to(actor).filter(pk=locked.pk).exists():
                raise InvalidTransition(refusal)
            raise Refused(refusal)  # out of sight: the same answer as for no such referral
        if gp_feedback not in GPFeedback.values:
            message = _("Choose what may go back to the GP.")
            raise ValidationError(message, field_errors={"gp_feedback": [message]})
        if locked.version != expected_version:
            raise StaleVersion(
                _(
                    "This referral was changed by someone else while you were looking at it "
                    "(it is now %(status)s). Nothing you entered was saved: check it and try again."
                )
                % {"status": locked.get_status_display()}
            )
        if locked.gp_feedback == gp_feedback:
            message = _("That is already the person's choice.")
            raise ValidationError(message, field_errors={"gp_feedback": [message]})
        previous = locked.gp_feedback
        labels = dict(GPFeedback.choices)
        now = timezone.now()
        locked.gp_feedback = gp_feedback
        locked.version += 1
        locked.save(update_fields=["gp_feedback", "version", "updated_at"])
        ReferralEvent.objects.create(
            referral=locked,
            kind=ReferralEvent.Kind.CONSENT,
            actor=actor,
            note=_("What may go back to the GP changed from “%(old)s” to “%(new)s”.")
            % {"old": labels.get(previous, previous), "new": labels[gp_feedback]},
            visible_to_referrer=False,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CHANGE,
            obj=locked,
            request=request,
            detail=f"gp_feedback: {previous} -> {gp_feedback}",
        )
    return locked
