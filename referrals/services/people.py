"""A person's record changed for data protection: rectification and the erasure tombstone.

The doors are privacy's services (the data protection officer's and the
coordinator's pages, and the nightly retention job), which check who may act,
keep the history and write the audit row; these write the rows referrals owns,
inside the caller's transaction.
"""

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import InvalidTransition, StaleVersion, ValidationError

from ..models import Notification, Person, Referral, ReferralEvent, SourceKind, Status
from .intake import PERSON_FIELDS, _clean_person

# A referral in one of these may still be worked on: its person cannot be erased.
LIVE_STATUSES = (
    Status.RECEIVED,
    Status.ACCEPTED,
    Status.ALLOCATED,
    Status.IN_PROGRESS,
    Status.ON_HOLD,
)
# The person's details the statistics count, through their referrals.
COUNTED_FIELDS = frozenset({"date_of_birth", "postcode", "gender", "ethnic_group"})
# The word kept in place of the name; pages show Person.__str__, which translates it.
TOMBSTONE_NAME = "Erased"


def plain(value: Any) -> str:
    """A field's value as the text a form shows and posts back: how two values are compared."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _label(field: str) -> str:
    return str(Person._meta.get_field(field).verbose_name)  # type: ignore[union-attr]


def person_details_correct(
    *, person: Person, changes: dict[str, Any], seen: dict[str, Any] | None = None
) -> dict[str, tuple[Any, Any]]:
    """Check and write corrected details; returns {field: (old, new)} for what really changed.

    Checked as at intake (NHS number check digit, postcode shape, date of birth
    not in the future), reporting errors on the fields being changed only.
    `seen` holds what the editor was shown for those fields: a field someone
    else changed in the meantime is refused rather than overwritten.
    """
    unknown = sorted(set(changes) - set(PERSON_FIELDS))
    if unknown:
        raise ValidationError(
            _("These are not details of a person: %(fields)s.") % {"fields": ", ".join(unknown)},
            field_errors={"__all__": [_("Unknown field: %(field)s.") % {"field": unknown[0]}]},
        )
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.erased_at is not None:
            raise InvalidTransition(
                _("This person's details have been erased: nothing to correct.")
            )
        if seen is not None:
            moved = [
                field
                for field in changes
                if field in seen and plain(getattr(locked, field)) != plain(seen[field])
            ]
            if moved:
                raise StaleVersion(
                    _(
                        "Someone else changed these details while you were looking at them: "
                        "%(fields)s. Nothing was saved: check them and try again."
                    )
                    % {"fields": ", ".join(_label(field) for field in moved)}
                )
        current = {field: getattr(locked, field) for field in PERSON_FIELDS}
        try:
            cleaned = _clean_person({**current, **changes})
        except ValidationError as error:
            mine = {k: v for k, v in error.field_errors.items() if k in changes or k == "__all__"}
            if mine:
                raise ValidationError(error.message, field_errors=mine) from None
            cleaned = {**current, **changes}
        diff = {
            field: (current[field], cleaned[field])
            for field in changes
            if plain(current[field]) != plain(cleaned[field])
        }
        for field, (_old, new) in diff.items():
            setattr(locked, field, new)
        if diff:
            locked.save(update_fields=list(diff))
        if set(diff) & COUNTED_FIELDS:
            # The statistics count these (age band, deprivation, gender, ethnic group): the
            # next incremental rollup looks again at the referrals whose row moved on.
            Referral.objects.filter(person=locked).update(updated_at=timezone.now())
        for field, (_old, new) in diff.items():
            setattr(person, field, new)
    return diff


def person_records_of(person: Person) -> list[Person]:
    """The person and every record merged into them (merged records hold the same details)."""
    records, frontier = [person], [person.pk]
    while frontier:
        found = list(Person.objects.filter(merged_into_id__in=frontier))
        records.extend(found)
        frontier = [record.pk for record in found]
    return records


def person_live_referrals(person: Person) -> QuerySet[Referral]:
    """Referrals of the person (and records merged into them) that are still being worked on."""
    ids = [record.pk for record in person_records_of(person)]
    return Referral.objects.filter(person_id__in=ids, status__in=LIVE_STATUSES).order_by("pk")


def person_tombstone(*, person: Person, now: datetime) -> list[int]:
    """Replace every personal field of the person and their referrals; returns the referral ids.

    Blanks the name (the tombstone word instead), date of birth, NHS number,
    contact details, address and postcode, communication needs, how consent
    was given; on each referral the free text (what matters, other reason,
    risk details, suggested alternative, closure summary), the person as the
    referrer gave them, and a self-referrer's own contact details; the timeline's
    notes; the in-app notifications' words (the reference stays). Kept: gender,
    ethnic group, preferred language, consent flags, every date, status,
    reason code and the links between rows. Call under the person's row lock,
    after anything the statistics need has been kept.
    """
    records = person_records_of(person)
    ids = [record.pk for record in records]
    Person.objects.filter(pk__in=ids).update(
        given_name="",
        family_name=TOMBSTONE_NAME,
        preferred_name="",
        date_of_birth=None,
        nhs_number=None,
        address="",
        postcode="",
        phone="",
        email="",
        communication_needs="",
        consent_method="",
        erased_at=now,
    )
    referrals = Referral.objects.filter(person_id__in=ids)
    referral_ids = list(referrals.values_list("pk", flat=True))
    referrals.update(
        person_details_as_referred={"family_name": TOMBSTONE_NAME},
        reason_other="",
        what_matters="",
        risk_details="",
        suggested_alternative="",
        closure_summary="",
        version=F("version") + 1,
        updated_at=now,
    )
    referrals.filter(source_kind=SourceKind.SELF).update(
        referrer_name="", referrer_role="", referrer_phone="", referrer_email=""
    )
    ReferralEvent.objects.filter(referral_id__in=referral_ids).update(note="")
    Notification.objects.filter(referral_id__in=referral_ids).update(
        message=Subquery(Referral.objects.filter(pk=OuterRef("referral_id")).values("reference"))
    )
    person.refresh_from_db()
    return referral_ids
