"""Rectification and erasure of a person's details: the one door for each.

Correcting keeps the history (PersonCorrection: old and new values, who, when,
why). Erasing replaces every personal detail with a tombstone and keeps the
anonymous facts the statistics need (README, "What is kept and for how long").
The data protection officer's pages, the coordinator's correction page and
the nightly retention job all come through here; the rows of other apps are
written through those apps' services, in this one transaction.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Role, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, Refused, ValidationError
from core.outbox import outbox_emails_forget
from linkworkers.services import case_documents_erase, casework_erase_free_text
from referrals.models import Person, Referral
from referrals.selectors import people_in_data_protection_scope
from referrals.services import (
    LIVE_STATUSES,
    person_details_correct,
    person_records_of,
    person_tombstone,
)
from referrals.services.people import plain
from reporting.services import referral_facts_keep

from ..models import REASON_LIMIT, PersonCorrection

CORRECTION_ROLES = frozenset({Role.DPO, Role.COORDINATOR})
ERASURE_ROLES = frozenset({Role.DPO})


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: the person (now the tombstone) and the references it covered."""

    person: Person
    references: list[str]
    erased_at: datetime


def _check_actor(actor: User | None, person: Person, roles: frozenset[str]) -> None:
    """Refused (404) unless the actor has the role and the person is in their scheme."""
    if actor is None:
        return
    if (
        actor.role not in roles
        or not people_in_data_protection_scope(actor).filter(pk=person.pk).exists()
    ):
        raise Refused(_("You cannot change this person's record."))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Give the reason."), field_errors={"reason": [_("Say why, in a few words.")]}
        )
    if len(reason) > REASON_LIMIT:
        raise ValidationError(
            _("The reason is too long."),
            field_errors={
                "reason": [
                    _("Keep this to %(limit)s characters or fewer.") % {"limit": REASON_LIMIT}
                ]
            },
        )
    return reason


def person_correct(
    *,
    person: Person,
    actor: User,
    changes: dict[str, Any],
    reason: str,
    request: HttpRequest | None = None,
    seen: dict[str, Any] | None = None,
) -> PersonCorrection:
    """Correct a person's details, keeping what they were, who changed them, when and why.

    For the data protection officer and the scheme's coordinator. `changes`
    maps person fields to their new values; `seen` (from the page) holds what
    the editor was shown, so a field someone else changed meanwhile is refused
    (StaleVersion) instead of overwritten. Bad values are refused field by
    field and nothing is saved; so is a "correction" that changes nothing.
    """
    _check_actor(actor, person, CORRECTION_ROLES)
    reason = _reason(reason)
    with transaction.atomic():
        diff = person_details_correct(person=person, changes=changes, seen=seen)
        if not diff:
            raise ValidationError(
                _("Nothing was changed: the details are already as given."),
                field_errors={"__all__": [_("Change at least one detail.")]},
            )
        correction = PersonCorrection.objects.create(
            person=person,
            changes={field: [plain(old), plain(new)] for field, (old, new) in diff.items()},
            reason=reason,
            actor=actor,
            created_at=timezone.now(),
        )
        # The fields' names only: the values are personal details, and the trail outlives
        # an erasure. The correction row keeps the values and the reason.
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=person, request=request,
            detail=f"person corrected ({correction.uuid}): {', '.join(diff)}",
        )  # fmt: skip
    return correction


def person_erase(
    *,
    person: Person,
    actor: User | None,
    reason: str,
    request: HttpRequest | None = None,
) -> Erasure:
    """Erase a person's details where the law allows, keeping the statistics' facts.

    Refused while any of their referrals may still be worked on (received,
    accepted, allocated, in progress, on hold): close or withdraw it first.
    In one transaction, with the person's row and their referrals locked (so a
    referral cannot be reopened or linked to them meanwhile): the age band and
    deprivation quintile each referral counts under are kept (reporting), the
    casework's free text is blanked and the case documents deleted, files too
    (linkworkers), emails about them leave the outbox (core), corrections lose
    their values, and the person and their referrals become the tombstone
    (referrals). The audit row names the person (by uuid) and the references.
    `actor` None is the retention job; `reason` then names the retention rule.
    The reason stays in the audit trail, which is never erased: it should not
    name the person.
    """
    _check_actor(actor, person, ERASURE_ROLES)
    reason = _reason(reason)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.erased_at is not None:
            raise InvalidTransition(_("This person's details have already been erased."))
        if locked.merged_into_id is not None:
            raise InvalidTransition(
                _("This record was merged into another: erase the record it was merged into.")
            )
        records = person_records_of(locked)
        referrals = list(
            Referral.objects.select_for_update()
            .filter(person__in=records)
            .order_by("pk")
            .only("pk", "uuid", "reference", "status")
        )
        live = [referral.reference for referral in referrals if referral.status in LIVE_STATUSES]
        if live:
            raise InvalidTransition(
                _(
                    "This person cannot be erased while a referral may still be worked on "
                    "(%(references)s). Close, reject or cancel it first."
                )
                % {"references": ", ".join(live)}
            )
        now = timezone.now()
        referral_ids = [referral.pk for referral in referrals]
        references = [referral.reference for referral in referrals]
        referral_facts_keep(referral_ids=referral_ids, now=now)
        casework_erase_free_text(referral_ids=referral_ids)
        case_documents_erase(referral_ids=referral_ids)
        outbox_emails_forget(about_objects=referrals, mentioning=references)
        for correction in PersonCorrection.objects.filter(person__in=records):
            correction.changes = {field: ["", ""] for field in correction.changes}
            correction.reason = ""
            correction.save(update_fields=["changes", "reason"])
        person_tombstone(person=locked, now=now)
        why = "on request" if actor is not None else "by the retention schedule"
        audit_record(
            actor=actor, action=AuditEvent.Action.ERASE, obj=locked, request=request,
            detail=f"person erased {why}: {reason}", people=records, records=references,
        )  # fmt: skip
    person.refresh_from_db()
    return Erasure(person=person, references=references, erased_at=now)
