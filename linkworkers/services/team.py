"""Supervision notes and peer navigators on a case."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Role, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, ValidationError
from referrals.models import (
    OPEN_STATUSES,
    Referral,
    ReferralEvent,
)

from ..models import (
    NOTE_LIMIT,
    PeerNavigatorAssignment,
    SupervisionNote,
)
from ..selectors import (
    may_attach_peer,
    may_supervise,
)
from .cases import raise_if, too_long


def supervision_note_add(
    *,
    link_worker: User,
    author: User,
    text: str,
    referral: Referral | None = None,
    request: HttpRequest | None = None,
) -> SupervisionNote:
    """A supervision note about `link_worker`'s work, by them or their manager.

    `referral`, when given, must be a case the link worker holds or held.
    """
    errors: dict[str, list[str]] = {}
    if not may_supervise(author, link_worker):
        raise InvalidTransition(
            _("Only the link worker and their scheme's coordinators can write supervision notes.")
        )
    text = (text or "").strip()
    if not text:
        errors["text"] = [_("Write the note.")]
    elif len(text) > NOTE_LIMIT:
        errors["text"] = [too_long(NOTE_LIMIT)]
    if referral is not None and referral.link_worker_id != link_worker.pk:
        errors["referral"] = [_("Choose one of this link worker's cases.")]
    raise_if(errors)
    with transaction.atomic():
        note = SupervisionNote.objects.create(
            link_worker=link_worker, referral=referral, author=author, text=text,
            created_at=timezone.now(),
        )  # fmt: skip
        audit_record(
            actor=author, action=AuditEvent.Action.CREATE, obj=note, request=request,
            detail=f"supervision note for user {link_worker.pk}",
        )  # fmt: skip
    return note


def peer_navigator_attach(
    *,
    referral: Referral,
    actor: User,
    peer_navigator: User | None,
    request: HttpRequest | None = None,
) -> PeerNavigatorAssignment:
    """Attach a peer navigator of the scheme to an open case (the link worker or a coordinator)."""
    if not (
        peer_navigator is not None
        and peer_navigator.role == Role.PEER_NAVIGATOR
        and peer_navigator.is_active
        and peer_navigator.organisation_id == referral.scheme_id
    ):
        message = _("Choose a peer navigator from this scheme.")
        raise ValidationError(message, field_errors={"peer_navigator": [message]})
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if not may_attach_peer(actor, locked):
            raise InvalidTransition(
                _("Only the case's link worker or a coordinator can add a peer navigator.")
            )
        if locked.status not in OPEN_STATUSES:
            raise InvalidTransition(
                _("This case is %(status)s: reopen it first.")
                % {"status": locked.get_status_display()}
            )
        now = timezone.now()
        assignment, created = PeerNavigatorAssignment.objects.get_or_create(
            referral=locked, user=peer_navigator,
            defaults={"added_by": actor, "added_at": now, "active": True},
        )  # fmt: skip
        if not created and assignment.active:
            message = _("This peer navigator is already on the case.")
            raise ValidationError(message, field_errors={"peer_navigator": [message]})
        if not created:
            assignment.active, assignment.added_by, assignment.added_at = True, actor, now
            assignment.save(update_fields=["active", "added_by", "added_at"])
        name = peer_navigator.get_full_name() or peer_navigator.username
        ReferralEvent.objects.create(
            referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor,
            note=_("Peer navigator %(name)s added to the case.") % {"name": name},
            visible_to_referrer=False, created_at=now,
        )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=locked.person, request=request,
            detail=f"peer navigator user {peer_navigator.pk} added to referral {locked.reference}",
        )  # fmt: skip
    return assignment


def peer_navigator_detach(
    *, assignment: PeerNavigatorAssignment, actor: User, request: HttpRequest | None = None
) -> bool:
    """Take a peer navigator off a case; their access ends at once."""
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=assignment.referral_id)
        if not may_attach_peer(actor, locked):
            raise InvalidTransition(
                _("Only the case's link worker or a coordinator can remove a peer navigator.")
            )
        changed = PeerNavigatorAssignment.objects.filter(pk=assignment.pk, active=True).update(
            active=False
        )
        if changed:
            name = assignment.user.get_full_name() or assignment.user.username
            ReferralEvent.objects.create(
                referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor,
                note=_("Peer navigator %(name)s removed from the case.") % {"name": name},
                visible_to_referrer=False, created_at=timezone.now(),
            )  # fmt: skip
            audit_record(
                actor=actor, action=AuditEvent.Action.CHANGE, obj=locked.person, request=request,
                detail=f"peer navigator user {assignment.user_id} removed from referral "
                f"{locked.reference}",
            )  # fmt: skip
    return changed == 1
