"""Allocation and reassignment: who holds a case (DESIGN.md: linkworkers owns the link worker).

Allocation is a lifecycle move (accepted -> allocated) through referrals'
one transition door; reassignment changes the holder of an open case without
a move. The candidates and the suggestion a coordinator chooses from are
`linkworkers.selectors.link_worker_candidates`.
"""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Role, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, StaleVersion, ValidationError
from referrals.models import OPEN_STATUSES, Notification, Referral, ReferralEvent, Status
from referrals.services import colleague_notify, referral_transition


def referral_allocate(
    *, referral: Referral, actor: User, link_worker: User, expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    if not (
        link_worker.role == Role.LINK_WORKER
        and link_worker.is_active
        and link_worker.organisation_id == referral.scheme_id
    ):
        message = _("Choose a link worker from this scheme.")
        raise ValidationError(message, field_errors={"link_worker": [message]})
    with transaction.atomic():
        allocated = referral_transition(
            referral=referral, actor=actor, to_status=Status.ALLOCATED,
            expected_version=expected_version, request=request,
            changes={"link_worker": link_worker},
            note=_("Allocated to %(name)s.") % {"name": link_worker.get_full_name() or link_worker},
        )  # fmt: skip
        # The link worker hears of it in the same transaction as the move.
        colleague_notify(
            referral=allocated, recipient=link_worker, kind=Notification.Kind.ALLOCATED,
            message=lambda: _("%(name)s (%(ref)s) is now on your caseload, allocated by %(by)s.")
            % {"name": allocated.person, "ref": allocated.reference,
               "by": actor.get_full_name() or actor.username},
        )  # fmt: skip
    return allocated


def referral_reassign(
    *, referral: Referral, actor: User, link_worker: User | None, expected_version: int,
    request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    """Give an open case to another link worker of the scheme; the status stays.

    Not a lifecycle move (DESIGN.md has no status for it), so it does not go
    through `referral_transition`, but it keeps the same rules: the row is
    locked, the version checked, a timeline event appended, and the new link
    worker told (in-app and by email, after commit). Only a coordinator of
    the referral's scheme may do it.
    """
    if not (
        link_worker is not None
        and link_worker.role == Role.LINK_WORKER
        and link_worker.is_active
        and link_worker.organisation_id == referral.scheme_id
    ):
        message = _("Choose a link worker from this scheme.")
        raise ValidationError(message, field_errors={"link_worker": [message]})
    with transaction.atomic():
        locked = (
            # Only the referral row is locked: PostgreSQL refuses FOR UPDATE on
            # the nullable side of the outer join to the link worker.
            Referral.objects.select_for_update(of=("self",))
            .select_related("link_worker", "scheme", "person")
            .get(pk=referral.pk)
        )
        if locked.version != expected_version:
            raise StaleVersion(
                _(
                    "This referral was changed by someone else while you were looking at it "
                    "(it is now %(status)s). Nothing you entered was saved: check it and try again."
                )
                % {"status": locked.get_status_display()}
            )
        if not (
            actor.role == Role.COORDINATOR
            and actor.organisation_id is not None
            and actor.organisation_id == locked.scheme_id
        ):
            raise InvalidTransition(_("Only a coordinator of this scheme can reassign a case."))
        if locked.status not in OPEN_STATUSES:
            raise InvalidTransition(
                _("This case is %(status)s, so it cannot be reassigned.")
                % {"status": locked.get_status_display()}
            )
        if locked.link_worker_id == link_worker.pk:
            message = _("This case is already held by %(name)s.") % {
                "name": link_worker.get_full_name() or link_worker.username
            }
            raise ValidationError(message, field_errors={"link_worker": [message]})
        previous = locked.link_worker
        assert previous is not None  # an open case always has its link worker (a constraint)
        now = timezone.now()
        locked.link_worker = link_worker
        locked.version += 1
        locked.save(update_fields=["link_worker", "version", "updated_at"])
        names = {
            "old": previous.get_full_name() or previous.username,
            "new": link_worker.get_full_name() or link_worker.username,
        }
        ReferralEvent.objects.create(
            referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor,
            note=_("Reassigned from %(old)s to %(new)s.") % names,
            visible_to_referrer=False, created_at=now,
        )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=locked.person, request=request,
            detail=f"referral {locked.reference} reassigned from user {previous.pk} "
            f"to user {link_worker.pk}",
        )  # fmt: skip
        colleague_notify(
            referral=locked, recipient=link_worker, now=now, kind=Notification.Kind.ALLOCATED,
            message=lambda: _("%(name)s (%(ref)s) is now on your caseload, reassigned by %(by)s.")
            % {"name": locked.person, "ref": locked.reference,
               "by": actor.get_full_name() or actor.username},
        )  # fmt: skip
    return locked
