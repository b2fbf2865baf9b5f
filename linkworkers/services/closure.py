"""Closing a case with the PRSB message back to the GP and referrer, and reopening it."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from referrals.models import (
    ClosureReason,
    Referral,
)
from referrals.services import (
    referral_close,
)

from ..models import (
    CLOSURE_PART_LIMIT,
    ClosureSummary,
)
from .cases import raise_if, too_long

CLOSURE_PARTS = ("what_mattered", "connected_to", "outcomes", "follow_up")


def _closure_headings() -> dict[str, str]:
    return {
        "what_mattered": _("What mattered to them"),
        "connected_to": _("What they were connected to"),
        "outcomes": _("Outcomes"),
        "follow_up": _("Follow-up advice"),
    }


def closure_summary_compose(*, parts: dict[str, str], language: str) -> str:
    """The message back to the GP and referrer (PRSB), in the referrer's language."""
    with translation.override(language):
        headings = _closure_headings()
        return "\n\n".join(
            f"{headings[key]}:\n{parts[key].strip()}"
            for key in CLOSURE_PARTS
            if (parts.get(key) or "").strip()
        )


def case_close(
    *,
    referral: Referral,
    actor: User,
    reason: str,
    expected_version: int | None,
    what_mattered: str = "",
    connected_to: str = "",
    outcomes: str = "",
    follow_up: str = "",
    request: HttpRequest | None = None,
) -> Referral:
    """Close the case with a reason and the PRSB "Message back to GP and referrer".

    `referral_close` takes one summary, which the referrer's page shows; the
    parts are kept beside it in a ClosureSummary, written in the same
    transaction so one never exists without the other.
    """
    parts = {
        "what_mattered": what_mattered,
        "connected_to": connected_to,
        "outcomes": outcomes,
        "follow_up": follow_up,
    }
    errors: dict[str, list[str]] = {}
    if reason not in ClosureReason.values:
        errors["reason"] = [_("Choose a reason.")]
    for key, value in parts.items():
        if len(value or "") > CLOSURE_PART_LIMIT:
            errors[key] = [too_long(CLOSURE_PART_LIMIT)]
    if not (what_mattered or "").strip():
        errors["what_mattered"] = [_("Say what mattered to the person.")]
    if not (follow_up or "").strip():
        errors["follow_up"] = [
            _("Give the GP and referrer some follow-up advice, or say none is needed.")
        ]
    raise_if(errors)
    recipient = referral.referring_user
    language = recipient.preferred_language if recipient else translation.get_language()
    summary = closure_summary_compose(parts=parts, language=language or "en")
    with transaction.atomic():
        closed: Referral = referral_close(
            referral=referral, actor=actor, reason=reason, summary=summary,
            expected_version=expected_version, request=request,
        )  # fmt: skip
        assert closed.closed_at is not None  # the move to closed stamps it
        ClosureSummary.objects.create(
            referral=closed, reason=reason, written_by=actor, created_at=closed.closed_at,
            **{key: (value or "").strip() for key, value in parts.items()},
        )  # fmt: skip
    return closed
