"""The people in the data protection stories (the referral stories' people, and two DPOs).

Gwenllian Prydderch was referred by Rhian at Afon Surgery to the Teg Valley
scheme, where Llinos worked with her; her case is closed, and an earlier
referral was rejected. Dewi is the scheme's data protection officer; Carys
coordinates it; Olwen coordinates another scheme and Owain is its DPO (the
outsiders).
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from accounts.models import Role
from linkworkers.models import ClosureSummary, SupervisionNote
from referrals.models import Notification, Person, ReferralEvent, Status
from tests.factories import (
    ConnectionFactory,
    ContactFactory,
    GoalFactory,
    OutcomeMeasureFactory,
    PersonFactory,
    ReferralFactory,
    TaxonomyTermFactory,
    UnmetNeedFactory,
    UserFactory,
    WhatMattersFactory,
)
from tests.referrals import conftest as referral_stories

fast_password_hashing = referral_stories.fast_password_hashing
cluster = referral_stories.cluster
scheme = referral_stories.scheme
coordinator = referral_stories.coordinator
link_worker = referral_stories.link_worker
outsider_referrer = referral_stories.outsider_referrer
outsider_coordinator = referral_stories.outsider_coordinator
provider_user = referral_stories.provider_user
commissioner = referral_stories.commissioner

# Everything that identifies Gwenllian: none of it may be left anywhere after her erasure.
NAME = ("Gwenllian", "Prydderch")
DETAILS = {
    "preferred_name": "Gwenni",
    "phone": "07700 900456",
    "email": "gwenllian.p@example.org",
    "address": "3 Heol y Nant, Treforys",
    "postcode": "SA6 8AB",
    "communication_needs": "Hard of hearing; Welsh speaker",
    "consent_method": "Told Llinos on the phone",
}
BORN = date(1961, 2, 14)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def dpo(scheme):
    """Dewi is the Teg Valley scheme's data protection officer."""
    return UserFactory(username="dewi", first_name="Dewi", role=Role.DPO, organisation=scheme)


@pytest.fixture
def outsider_dpo(outsider_coordinator):
    """Owain is the data protection officer of another scheme."""
    return UserFactory(
        username="owain", role=Role.DPO, organisation=outsider_coordinator.organisation
    )


@pytest.fixture
def gwenllian(db):
    return PersonFactory(
        given_name=NAME[0], family_name=NAME[1], date_of_birth=BORN, gender="female",
        ethnic_group="A", **DETAILS,
    )  # fmt: skip


def _at(days_ago: int):
    return timezone.now() - timedelta(days=days_ago)


@pytest.fixture
def closed_case(gwenllian, gp_receptionist, scheme, cluster, link_worker):
    """Gwenllian's case: everything a link worker writes, then closed as completed."""
    case = ReferralFactory(
        person=gwenllian, referring_user=gp_receptionist,
        referring_organisation=gp_receptionist.organisation, scheme=scheme, area=cluster,
        reference="SP-GWEN001", reasons=["loneliness", "bereavement"],
        reason_other="Gwenllian lost her husband in May",
        what_matters="Gwenllian wants to sing again", risk_flag=True,
        risk_details="Gwenllian lives alone at Heol y Nant", status=Status.CLOSED,
        link_worker=link_worker, received_at=_at(60), accepted_at=_at(59), allocated_at=_at(58),
        first_contact_at=_at(55), closed_at=_at(5), closure_reason="completed",
        closure_summary="Gwenllian joined the choir",
    )  # fmt: skip
    for note in ("Rhian referred Gwenllian", "Gwenllian Prydderch was closed: completed"):
        ReferralEvent.objects.create(
            referral=case, kind=ReferralEvent.Kind.NOTE, actor=link_worker, note=note,
            created_at=_at(5),
        )  # fmt: skip
    ContactFactory(referral=case, notes="Spoke to Gwenllian at 07700 900456")
    WhatMattersFactory(
        referral=case, what_matters="Gwenllian: singing", strengths="Gwenllian is kind",
        want_to_change="Gwenllian feels alone",
    )  # fmt: skip
    GoalFactory(referral=case, description="Gwenllian to join the choir",
                progress_notes="Gwenllian went twice")  # fmt: skip
    ClosureSummary.objects.create(
        referral=case, reason="completed", what_mattered="Gwenllian: singing",
        connected_to="Choir for Gwenllian", outcomes="Gwenllian is less lonely",
        follow_up="Ask Gwenllian in a month", written_by=link_worker, created_at=_at(5),
    )  # fmt: skip
    ConnectionFactory(
        referral=case, status="stopped", note_for_provider="Gwenllian is hard of hearing",
        stop_reason="Gwenllian moved groups", proposed_at=_at(50), ended_at=_at(20),
    )  # fmt: skip
    UnmetNeedFactory(referral=case, category=TaxonomyTermFactory(), notes="Gwenllian needs a lift")
    SupervisionNote.objects.create(
        link_worker=link_worker, referral=case, author=link_worker,
        text="Talked about Gwenllian's grief", created_at=_at(10),
    )  # fmt: skip
    OutcomeMeasureFactory(referral=case, timepoint="baseline", raw_score=7, recorded_by=link_worker)
    Notification.objects.create(
        recipient=gp_receptionist, referral=case, created_at=_at(5),
        message="Referral SP-GWEN001 for Gwenllian Prydderch has been closed.",
    )  # fmt: skip
    return case


@pytest.fixture
def rejected_referral(gwenllian, gp_receptionist, scheme, cluster):
    """An earlier referral for Gwenllian, which the scheme rejected."""
    return ReferralFactory(
        person=gwenllian, referring_user=gp_receptionist,
        referring_organisation=gp_receptionist.organisation, scheme=scheme, area=cluster,
        reference="SP-GWEN002", status=Status.REJECTED, received_at=_at(400),
        rejected_at=_at(399), rejection_reason="not_eligible",
        suggested_alternative="Gwenllian could try Age Cymru",
    )  # fmt: skip


@pytest.fixture
def merged_record(gwenllian, closed_case):
    """A second record of Gwenllian's, which Carys merged into hers."""
    return PersonFactory(
        given_name=NAME[0], family_name=NAME[1], date_of_birth=BORN, nhs_number=None,
        phone=DETAILS["phone"], postcode=DETAILS["postcode"], merged_into=gwenllian,
        merged_at=_at(30),
    )  # fmt: skip


@pytest.fixture
def other_scheme_person(outsider_coordinator):
    """Someone referred only to another scheme."""
    return ReferralFactory(scheme=outsider_coordinator.organisation).person


def erased(person: Person) -> Person:
    person.refresh_from_db()
    return person
