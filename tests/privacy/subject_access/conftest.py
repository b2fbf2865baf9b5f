"""The people in the subject access stories.

Glenys was referred by Gwen (a GP at Afon Surgery) to the Teg Valley
scheme, where Llinos held her case and Carys coordinates; Dilys is the
scheme's data protection officer. Glenys was also referred to Glannau
Connectors, another scheme (Olwen coordinates it, Emrys is its data
protection officer): what Glannau holds is Glannau's to give, never Teg
Valley's. Gwyneth is someone else the scheme once wondered was Glenys.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from accounts.models import Role
from core.models import OutboxEmail
from core.outbox import about
from linkworkers.models import Answer, ClosureSummary, PeerNavigatorAssignment
from linkworkers.services import supervision_note_add
from referrals.models import PossibleDuplicate, ReferralEvent, Status
from referrals.services import referral_view_record
from tests.factories import (
    ConnectionFactory,
    ContactFactory,
    GoalFactory,
    InstrumentFactory,
    ItemFactory,
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
practice = referral_stories.practice
scheme = referral_stories.scheme
coordinator = referral_stories.coordinator
link_worker = referral_stories.link_worker
outsider_coordinator = referral_stories.outsider_coordinator
provider_user = referral_stories.provider_user
commissioner = referral_stories.commissioner

SUPERVISION_SECRET = "Llinos found the visits to Glenys hard; plan a joint visit."
ELSEWHERE = "GLANNAU-ONLY"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def gp(practice):
    """Gwen is a GP at Afon Surgery; she referred Glenys."""
    return UserFactory(username="gwen", first_name="Gwen", last_name="Parry",
                       role=Role.REFERRER, organisation=practice)  # fmt: skip


@pytest.fixture
def dpo(scheme):
    """Dilys is the Teg Valley scheme's data protection officer."""
    return UserFactory(username="dilys", first_name="Dilys", last_name="Evans",
                       role=Role.DPO, organisation=scheme)  # fmt: skip


@pytest.fixture
def outsider_dpo(outsider_coordinator):
    """Emrys is Glannau Connectors' data protection officer."""
    return UserFactory(username="emrys", role=Role.DPO,
                       organisation=outsider_coordinator.organisation)  # fmt: skip


@pytest.fixture
def admin_user(scheme):
    return UserFactory(username="alun", role=Role.ADMIN, organisation=scheme, is_staff=True)


@pytest.fixture
def glenys(db):
    return PersonFactory(
        given_name="Glenys", family_name="Pritchard", date_of_birth=date(1948, 3, 2),
        email="glenys@example.org", address="4 Heol y Bryn", postcode="CF42 6AA",
    )  # fmt: skip


def worked_case(*, person, scheme, link_worker, gp, cluster, reference, marker=""):
    """A referral of `person` to `scheme` with one of every record a case holds.

    `marker` goes into every free-text field, so a test can tell this case's text apart.
    """
    now = timezone.now()
    referral = ReferralFactory(
        reference=reference, person=person, scheme=scheme, area=cluster,
        referring_user=gp, referring_organisation=gp.organisation,
        status=Status.CLOSED, link_worker=link_worker,
        what_matters=f"{marker}She used to sing in a choir.",
        received_at=now - timedelta(days=60), allocated_at=now - timedelta(days=55),
        first_contact_at=now - timedelta(days=50), closed_at=now - timedelta(days=1),
        closure_reason="completed", closure_summary=f"{marker}Glenys sings again.",
    )  # fmt: skip
    for kind, to_status, note, days in (
        (ReferralEvent.Kind.STATUS, Status.ALLOCATED, "", 55),
        (ReferralEvent.Kind.NOTE, "", f"{marker}Her daughter visits on Sundays.", 40),
        (ReferralEvent.Kind.MESSAGE, "", f"{marker}Social prescription emailed.", 30),
    ):
        ReferralEvent.objects.create(
            referral=referral, kind=kind, to_status=to_status, actor=link_worker, note=note,
            visible_to_referrer=not note, created_at=now - timedelta(days=days),
        )  # fmt: skip
    ContactFactory(referral=referral, notes=f"{marker}Talked about the choir.",
                   happened_at=now - timedelta(days=50))  # fmt: skip
    WhatMattersFactory(referral=referral, what_matters=f"{marker}Singing with others.")
    GoalFactory(referral=referral, description=f"{marker}Join the Tuesday choir",
                progress_notes=f"{marker}Went twice.")  # fmt: skip
    ConnectionFactory(referral=referral, status="attending", note_for_provider=f"{marker}Shy.",
                      service__name=f"{marker}Teg Valley Singers",
                      referred_at=now - timedelta(days=20),
                      attending_since=now - timedelta(days=10))  # fmt: skip
    UnmetNeedFactory(referral=referral, notes=f"{marker}No transport in the evening.",
                     category=TaxonomyTermFactory(name="Transport"))  # fmt: skip
    instrument = InstrumentFactory(name=f"{marker}Wellbeing check")
    items = [ItemFactory(instrument=instrument, text=f"{marker}How happy? {n}") for n in (1, 2)]
    measure = OutcomeMeasureFactory(referral=referral, instrument=instrument, raw_score=7,
                                    recorded_by=link_worker)  # fmt: skip
    Answer.objects.bulk_create(
        [Answer(measure=measure, item=items[0], value=3), Answer(measure=measure, item=items[1],
                                                                   value=4)]
    )  # fmt: skip
    ClosureSummary.objects.create(
        referral=referral, reason="completed", what_mattered=f"{marker}Singing.",
        connected_to=f"{marker}Teg Valley Singers.", outcomes=f"{marker}Less lonely.",
        follow_up=f"{marker}Keep singing.", written_by=link_worker, created_at=now,
    )  # fmt: skip
    PeerNavigatorAssignment.objects.create(
        referral=referral, added_by=link_worker, added_at=now - timedelta(days=45),
        user=UserFactory(first_name="Siân", last_name="Hughes", role=Role.PEER_NAVIGATOR,
                         organisation=scheme),
    )  # fmt: skip
    OutboxEmail.objects.create(
        about=about(referral), to=person.email, subject=f"{marker}Your social prescription",
        body_text=f"{marker}Come to the choir on Tuesday.", created_at=now - timedelta(days=30),
        sent_at=now - timedelta(days=30),
    )  # fmt: skip
    OutboxEmail.objects.create(
        about=about(referral), to=gp.email, subject=f"{marker}STAFF-EMAIL closed",
        body_text="For the GP.", created_at=now,
    )  # fmt: skip
    return referral


@pytest.fixture
def case(glenys, scheme, link_worker, gp, cluster):
    """Glenys's referral to Teg Valley: closed, with one of everything."""
    return worked_case(person=glenys, scheme=scheme, link_worker=link_worker, gp=gp,
                       cluster=cluster, reference="SP-GLEN01")  # fmt: skip


@pytest.fixture
def elsewhere(glenys, outsider_coordinator, gp, cluster):
    """Glenys's referral to Glannau Connectors, another scheme, viewed there by Olwen."""
    glannau = outsider_coordinator.organisation
    worker = UserFactory(role=Role.LINK_WORKER, organisation=glannau)
    referral = worked_case(person=glenys, scheme=glannau, link_worker=worker, gp=gp,
                           cluster=cluster, reference="SP-ELSE01", marker=ELSEWHERE)  # fmt: skip
    referral_view_record(referral=referral, actor=outsider_coordinator)
    return referral


@pytest.fixture
def duplicates(glenys, case, scheme, coordinator, gp, cluster):
    """An old record of Glenys merged into hers, and Gwyneth, found not to be her."""
    now = timezone.now()
    old_record = PersonFactory(given_name="Glenys", family_name="Prichard",
                               date_of_birth=glenys.date_of_birth, postcode="CF42 6AB",
                               merged_into=glenys, merged_at=now - timedelta(days=3))  # fmt: skip
    gwyneth = PersonFactory(given_name="Gwyneth", family_name="Ysgubor-Wen",
                            date_of_birth=glenys.date_of_birth, postcode="CF42 6AA",
                            phone="07700 900999")  # fmt: skip
    gwyneths_referral = ReferralFactory(person=gwyneth, scheme=scheme, area=cluster)
    merged = PossibleDuplicate.objects.create(
        scheme=scheme, person=old_record, existing=glenys, referral=case,
        reason=PossibleDuplicate.Reason.NHS_NUMBER, state=PossibleDuplicate.State.MERGED,
        created_at=now - timedelta(days=5), decided_at=now - timedelta(days=3),
        decided_by=coordinator,
    )  # fmt: skip
    dismissed = PossibleDuplicate.objects.create(
        scheme=scheme, person=gwyneth, existing=glenys, referral=gwyneths_referral,
        reason=PossibleDuplicate.Reason.DEMOGRAPHICS, state=PossibleDuplicate.State.DISMISSED,
        created_at=now - timedelta(days=4), decided_at=now - timedelta(days=2),
        decided_by=coordinator,
    )  # fmt: skip
    return {"old_record": old_record, "gwyneth": gwyneth, "merged": merged,
            "dismissed": dismissed}  # fmt: skip


@pytest.fixture
def supervision(case, coordinator, link_worker):
    """Carys's supervision note on Llinos's work with Glenys: about Llinos, not Glenys."""
    return supervision_note_add(link_worker=link_worker, author=coordinator,
                                text=SUPERVISION_SECRET, referral=case)  # fmt: skip


@pytest.fixture
def glenys_record(case, elsewhere, duplicates, supervision, gp):
    """Everything: Gwen opened the referral once, so the audit trail names Glenys."""
    referral_view_record(referral=case, actor=gp)
    return case.person
