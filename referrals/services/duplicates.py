"""A coordinator's decisions on possible duplicate people: merge, not the same, undo."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Role
from accounts.services import audit_record, audit_view
from core.exceptions import InvalidTransition, Refused, StaleVersion

from ..models import (
    Person,
    PossibleDuplicate,
    Referral,
    ReferralEvent,
)

DUPLICATE_MERGE = "merge"


DUPLICATE_DISMISS = "not-the-same"


DUPLICATE_UNDO_MERGE = "undo-merge"


DUPLICATE_DECISIONS = (DUPLICATE_MERGE, DUPLICATE_DISMISS, DUPLICATE_UNDO_MERGE)


def possible_duplicate_decide(
    *, duplicate: PossibleDuplicate, actor, decision: str, expected_version: int, request=None
) -> PossibleDuplicate:
    """A coordinator's decision on a possible duplicate; the one door for all three.

    merge: the newer record's referrals move to the existing record, and the
    newer record is kept, marked merged into it. not-the-same: the pair is
    dismissed and both records stay. undo-merge: the referrals that merge
    moved go back, the newer record is unmerged, and the pair waits for a
    decision again. Only a coordinator of the pair's scheme may decide. The
    pair is locked, then both people, then the referrals that move; a
    decision made on an older view of the pair is refused. Each decision
    writes an audit row and a timeline note (not shown to the referrer) on
    every referral it concerns.
    """
    if decision not in DUPLICATE_DECISIONS:
        raise InvalidTransition(_("Choose merge, not the same person, or undo the merge."))
    with transaction.atomic():
        locked = PossibleDuplicate.objects.select_for_update().get(pk=duplicate.pk)
        if not (
            actor is not None
            and actor.role == Role.COORDINATOR
            and actor.organisation_id is not None
            and actor.organisation_id == locked.scheme_id
        ):
            # Only the scheme's coordinators see a pair: to anyone else it is not there.
            raise Refused(_("Only a coordinator of this scheme can decide this."))
        if locked.version != expected_version:
            raise StaleVersion(
                _(
                    "Someone decided on these two records while you were looking at them "
                    "(now: %(state)s). Nothing was changed: look again and decide."
                )
                % {"state": locked.get_state_display()}
            )
        locked_people = Person.objects.select_for_update().filter(
            pk__in=[locked.person_id, locked.existing_id]
        )
        people = {person.pk: person for person in locked_people.order_by("pk")}
        newer, existing = people[locked.person_id], people[locked.existing_id]
        now = timezone.now()
        if decision == DUPLICATE_MERGE:
            moved = _duplicate_merge(locked, newer=newer, existing=existing, now=now)
            note = _("Merged by a coordinator: the person is the same as on the scheme's earlier "
                     "record, and this referral is now on that record.")  # fmt: skip
        elif decision == DUPLICATE_DISMISS:
            if locked.state != PossibleDuplicate.State.OPEN:
                raise InvalidTransition(_("These two records were already decided on."))
            moved = list(newer.referrals.filter(scheme_id=locked.scheme_id).order_by("pk"))
            locked.state = PossibleDuplicate.State.DISMISSED
            note = _("Checked by a coordinator: not the same person as a record the scheme "
                     "already had.")  # fmt: skip
        else:
            moved = _duplicate_unmerge(locked, newer=newer, existing=existing, now=now)
            note = _("A coordinator undid a merge: this referral is back on its own record.")
        locked.version += 1
        locked.decided_at = now
        locked.decided_by = actor
        locked.save()
        ReferralEvent.objects.bulk_create(
            ReferralEvent(
                referral=referral,
                kind=ReferralEvent.Kind.NOTE,
                actor=actor,
                note=note,
                visible_to_referrer=False,
                created_at=now,
            )  # fmt: skip
            for referral in moved
        )
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=newer, request=request,
            detail=f"possible duplicate {locked.uuid}: {decision}; person {newer.uuid} and "
            f"person {existing.uuid}; referrals {', '.join(r.reference for r in moved)}",
        )  # fmt: skip
    return locked


def _duplicate_merge(locked, *, newer, existing, now) -> list[Referral]:
    if locked.state != PossibleDuplicate.State.OPEN:
        raise InvalidTransition(_("These two records were already decided on."))
    if newer.merged_into_id is not None or existing.merged_into_id is not None:
        raise InvalidTransition(
            _("One of these records was merged into another since: decide on that one.")
        )
    referrals = list(Referral.objects.select_for_update().filter(person=newer).order_by("pk"))
    if any(referral.scheme_id != locked.scheme_id for referral in referrals):
        # Only records made before matching kept within a scheme can be like this.
        raise InvalidTransition(
            _("The newer record also has referrals in another scheme, so it cannot be merged here.")
        )
    _move_referrals(referrals, to=existing, now=now)
    newer.merged_into, newer.merged_at = existing, now
    newer.save(update_fields=["merged_into", "merged_at"])
    locked.state = PossibleDuplicate.State.MERGED
    locked.moved_referrals = [referral.pk for referral in referrals]
    return referrals


def _duplicate_unmerge(locked, *, newer, existing, now) -> list[Referral]:
    if locked.state != PossibleDuplicate.State.MERGED or newer.merged_into_id != existing.pk:
        raise InvalidTransition(_("These two records are not merged, so there is nothing to undo."))
    if existing.merged_into_id is not None:
        raise InvalidTransition(
            _("The existing record was merged into another since: undo that merge first.")
        )
    referrals = list(
        Referral.objects.select_for_update()
        .filter(pk__in=locked.moved_referrals, person=existing, scheme_id=locked.scheme_id)
        .order_by("pk")
    )
    _move_referrals(referrals, to=newer, now=now)
    newer.merged_into, newer.merged_at = None, None
    newer.save(update_fields=["merged_into", "merged_at"])
    locked.state = PossibleDuplicate.State.OPEN
    locked.moved_referrals = []
    return referrals


def _move_referrals(referrals, *, to, now) -> None:
    # A new version: a page opened before the move must not save over it.
    Referral.objects.filter(pk__in=[referral.pk for referral in referrals]).update(
        person=to, version=F("version") + 1, updated_at=now
    )


def possible_duplicate_view_record(
    *, duplicate: PossibleDuplicate, actor, referrals: Iterable[Referral] = (),
    request: HttpRequest | None = None,
) -> AuditEvent:  # fmt: skip
    """Audit the read of both records a coordinator compares: one row naming both people.

    `referrals` are those the page lists beside them, named by reference.
    """
    return audit_view(
        actor=actor, what=f"possible duplicate {duplicate.uuid}",
        people=[duplicate.person, duplicate.existing],
        records=list(dict.fromkeys(referral.reference for referral in referrals)),
        request=request,
    )  # fmt: skip
