"""The audit of reads: every page or API answer that shows a person writes one row.

DESIGN.md: the audit trail is written for every read of a person's record,
not only writes. A page or answer is one row (`accounts.services.audit_view`)
naming the references of the referrals it showed and, as subjects, the people
on them, so "who looked at this person" is one query whatever page showed them.
A list that showed nobody still writes its row: that it was opened and found
no one is worth knowing too (a search for a name, say).
"""

from collections.abc import Iterable
from uuid import UUID

from django.http import HttpRequest

from accounts.models import ApiClient, AuditEvent
from accounts.services import audit_view

from ..models import Person, Referral


def people_on(referrals: Iterable[Referral]) -> list[UUID]:
    """The uuids of the people on `referrals`, from the rows as loaded.

    No query when the rows came with their person (`select_related("person")`,
    as every list selector does) or its uuid (`person_uuid` annotated, as the
    partner API's list does); otherwise one query for all of them, never one
    per row.
    """
    referrals = list(referrals)
    uuids = [(r, _person_uuid(r)) for r in referrals]
    loaded = [uuid for _r, uuid in uuids if uuid is not None]
    missing = {r.person_id for r, uuid in uuids if uuid is None}
    if missing:
        loaded += Person.objects.filter(pk__in=missing).values_list("uuid", flat=True)
    return list(dict.fromkeys(loaded))


def _person_uuid(referral: Referral) -> UUID | None:
    """The person's uuid as the row came: with its person, or with `person_uuid` annotated."""
    if Referral.person.is_cached(referral):
        return referral.person.uuid
    return getattr(referral, "person_uuid", None)


def _person_of(referral: Referral) -> Person:
    """The referral's person, or a stand-in naming them when only their uuid was loaded."""
    uuid = None if Referral.person.is_cached(referral) else _person_uuid(referral)
    if uuid is None:
        return referral.person
    return Person(pk=referral.person_id, uuid=uuid)


def referral_view_record(
    *, referral: Referral, actor, request: HttpRequest | None = None,
    api_client: ApiClient | None = None,
) -> AuditEvent:  # fmt: skip
    """Audit one read of a person's record (DESIGN.md: reads are audited, not only writes)."""
    return audit_view(
        actor=actor, what=f"referral {referral.reference}", obj=_person_of(referral),
        records=[referral.reference], request=request, api_client=api_client,
    )  # fmt: skip


def referrals_view_record(
    *, referrals: Iterable[Referral], actor, what: str, request: HttpRequest | None = None,
    api_client: ApiClient | None = None, people: Iterable = (), records: Iterable[str] = (),
) -> AuditEvent:  # fmt: skip
    """Audit one page or API answer that listed referrals: one row for all of them.

    `what` names the page ("referral list", "triage queue"); the row names each
    referral's reference and person. `people` and `records` add whoever else the
    page showed (the other record of a possible duplicate, say).
    """
    referrals = list(referrals)
    return audit_view(
        actor=actor,
        what=what,
        people=[*people_on(referrals), *people],
        records=list(dict.fromkeys([*(r.reference for r in referrals), *records])),
        request=request,
        api_client=api_client,
    )
