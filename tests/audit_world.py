"""A small scheme, like the demo's, in which every kind of record that names a person exists.

The tests of the audit of reads walk every page of the project through it
(tests/accounts/test_audit_every_read.py). Everyone here has a family name no
other word on a page shares, so finding it (or their NHS number, or one of their
referral references) in an answer means the answer showed them.

    Gwen (GP at Afon Surgery) referred Glenys Quarrington, whose case Llinos holds,
    with Siân (peer navigator) beside her: contacts, what matters, a goal, a
    connection to Prys's gardening group, an unmet need, an outcome measure, a
    supervision note and notifications. Gwen also referred Bryn Tregaron (waiting
    for triage, with an idempotency key from the practice's partner system) and
    Mair Penhallow (closed, with the message back to the GP). Eirlys Carnedd may be
    Eirlys Cadwaladr: a possible duplicate. Heledd Ystradgynlais referred herself.
    Osian Trefgarne was referred by another practice to another scheme.
    Carys coordinates the scheme, Dilys is its data protection officer, Catrin is
    a commissioner and Aled administers the system.
"""

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiScope, Area, AuditEvent, Organisation, Role, User
from accounts.services import api_client_create, audit_view
from core.models import OutboxEmail
from directory.models import ServiceChange
from linkworkers.models import (
    Answer,
    ClosureSummary,
    ConnectionStatus,
    OutcomeReviewNotice,
    PeerNavigatorAssignment,
    SupervisionNote,
)
from referrals.models import (
    ApiIdempotencyKey,
    Notification,
    Person,
    PossibleDuplicate,
    Referral,
    ReferralEvent,
    Status,
)
from reporting.models import RollupRun
from tests.factories import (
    AreaFactory,
    ConnectionFactory,
    ContactFactory,
    GoalFactory,
    InstrumentFactory,
    ItemFactory,
    LinkWorkerFactory,
    OrganisationFactory,
    OutcomeMeasureFactory,
    PersonFactory,
    ProviderFactory,
    ReferralFactory,
    SchemeFactory,
    ServiceFactory,
    TaxonomyTermFactory,
    UnmetNeedFactory,
    UserFactory,
    WhatMattersFactory,
    _valid_test_nhs_number,
)

ROLES = [
    Role.REFERRER,
    Role.LINK_WORKER,
    Role.COORDINATOR,
    Role.PROVIDER,
    Role.COMMISSIONER,
    Role.ADMIN,
    Role.PEER_NAVIGATOR,
    Role.DPO,
]


@dataclass
class World:
    users: dict[str, User]
    people: list[Person]
    referrals: dict[str, Referral]
    objects: dict[str, object]
    api_token: str
    # (a word that shows the person, that word as a whole word, the person)
    markers: list[tuple[str, re.Pattern, Person]] = field(default_factory=list)

    def people_shown(self, text: str) -> dict[Person, set[str]]:
        """The people an answer shows, each with the words that show them."""
        found: dict[Person, set[str]] = {}
        for word, marker, person in self.markers:
            # Looking for the word as it is first costs far less than the pattern, and most
            # answers hold few of the words.
            if word not in text:
                continue
            for match in marker.findall(text):
                found.setdefault(person, set()).add(match)
        return found

    def references_shown(self, text: str) -> set[str]:
        return {
            reference
            for reference in Referral.objects.values_list("reference", flat=True)
            if reference in text and re.search(rf"\b{re.escape(reference)}\b", text)
        }


def _markers(person: Person) -> list[tuple[str, re.Pattern]]:
    words = [person.family_name]
    if person.nhs_number:
        number = person.nhs_number
        words += [number, f"{number[:3]} {number[3:6]} {number[6:]}"]
    words += person.referrals.values_list("reference", flat=True)
    return [(word, re.compile(rf"\b{re.escape(word)}\b")) for word in words]


def build_world() -> World:
    now = timezone.now()
    board = AreaFactory(name="Teg Valley", kind=Area.Kind.HEALTH_BOARD)
    cluster = AreaFactory(name="Upper Teg", kind=Area.Kind.CLUSTER, parent=board)
    practice = OrganisationFactory(name="Afon Surgery", ods_code="W90001", area=cluster)
    scheme = SchemeFactory(name="Teg Valley Community Connectors", area=board)
    growing = OrganisationFactory(
        name="Teg Valley Growing Together",
        kind=Organisation.Kind.PROVIDER,
        ods_code=None,
        area=cluster,
    )

    # The users come first, the GP first of all: the admin walk opens the first rows of each.
    gp = UserFactory(
        username="gwen",
        first_name="Gwen",
        last_name="Parry",
        role=Role.REFERRER,
        organisation=practice,
    )
    llinos = LinkWorkerFactory(
        user=UserFactory(
            username="llinos",
            first_name="Llinos",
            last_name="Watkins",
            role=Role.LINK_WORKER,
            organisation=scheme,
        ),
    ).user
    carys = UserFactory(
        username="carys",
        first_name="Carys",
        last_name="Morgan",
        role=Role.COORDINATOR,
        organisation=scheme,
    )
    prys = UserFactory(
        username="prys",
        first_name="Prys",
        last_name="Bowen",
        role=Role.PROVIDER,
        organisation=growing,
    )
    catrin = UserFactory(
        username="catrin",
        first_name="Catrin",
        last_name="Lloyd",
        role=Role.COMMISSIONER,
        organisation=OrganisationFactory(
            name="Teg Valley Health Board", kind=Organisation.Kind.HEALTH, ods_code=None, area=board
        ),
    )
    aled = UserFactory(
        username="aled",
        first_name="Aled",
        last_name="Jenkins",
        role=Role.ADMIN,
        is_staff=True,
        is_superuser=True,
        organisation=None,
    )
    sian = UserFactory(
        username="sian",
        first_name="Siân",
        last_name="Hughes",
        role=Role.PEER_NAVIGATOR,
        organisation=scheme,
    )
    dilys = UserFactory(
        username="dilys",
        first_name="Dilys",
        last_name="Rowlands",
        role=Role.DPO,
        organisation=scheme,
    )

    def referral(person, **fields):
        defaults = {
            "referring_user": gp,
            "referring_organisation": practice,
            "scheme": scheme,
            "area": cluster,
            "person": person,
            "received_at": now - timedelta(days=9),
        }
        return ReferralFactory(**{**defaults, **fields})

    # NHS numbers of the test range no example or other fixture uses.
    numbers = (_valid_test_nhs_number(n) for n in itertools.count(7000))
    glenys = PersonFactory(
        given_name="Glenys",
        family_name="Quarrington",
        nhs_number=next(numbers),
        email="glenys@example.org",
        contact_method="email",
    )
    bryn = PersonFactory(given_name="Bryn", family_name="Tregaron", nhs_number=next(numbers))
    mair = PersonFactory(given_name="Mair", family_name="Penhallow", nhs_number=next(numbers))
    eirlys = PersonFactory(given_name="Eirlys", family_name="Carnedd", nhs_number=next(numbers))
    eirlys_known = PersonFactory(
        given_name="Eirlys", family_name="Cadwaladr", nhs_number=next(numbers)
    )
    heledd = PersonFactory(given_name="Heledd", family_name="Ystradgynlais", nhs_number=None)
    osian = PersonFactory(given_name="Osian", family_name="Trefgarne", nhs_number=next(numbers))

    case = referral(
        glenys,
        status=Status.IN_PROGRESS,
        link_worker=llinos,
        allocated_at=now - timedelta(days=7),
        first_contact_at=now - timedelta(days=6),
    )
    received = referral(bryn)
    closed = referral(
        mair,
        status=Status.CLOSED,
        link_worker=llinos,
        allocated_at=now - timedelta(days=8),
        closed_at=now - timedelta(days=1),
        closure_reason="completed",
        closure_summary="Goes to the garden weekly.",
    )
    known = referral(eirlys_known, status=Status.ACCEPTED, accepted_at=now - timedelta(days=8))
    newer = referral(eirlys)
    self_referred = ReferralFactory(
        person=heledd,
        source_kind="self",
        referring_user=None,
        referring_organisation=None,
        scheme=scheme,
        area=cluster,
    )
    elsewhere = ReferralFactory(person=osian)  # another practice, another scheme

    # Glenys's case, every part of it.
    ContactFactory(referral=case, recorded_by=llinos, notes="Talked about the garden.")
    WhatMattersFactory(referral=case, updated_by=llinos)
    goal = GoalFactory(referral=case, created_by=llinos, description="Join a group")
    gardening = ServiceFactory(
        name="Community gardening group",
        provider=ProviderFactory(name="Teg Valley Growing Together", organisation=growing),
    )
    connection = ConnectionFactory(
        referral=case,
        service=gardening,
        created_by=llinos,
        status=ConnectionStatus.REFERRED,
        referred_at=now,
    )
    UnmetNeedFactory(referral=case, recorded_by=llinos, category=TaxonomyTermFactory())
    instrument = InstrumentFactory(code="tegwell", name="Teg wellbeing")
    item = ItemFactory(instrument=instrument)
    measure = OutcomeMeasureFactory(
        referral=case,
        instrument=instrument,
        recorded_by=llinos,
        raw_score=3,
        answered_on=timezone.localdate() - timedelta(days=90),
    )
    Answer.objects.create(measure=measure, item=item, value=3)
    OutcomeReviewNotice.objects.create(
        baseline=measure, due_on=timezone.localdate(), notified_at=now
    )
    PeerNavigatorAssignment.objects.create(referral=case, user=sian, added_by=llinos, added_at=now)
    SupervisionNote.objects.create(
        link_worker=llinos, referral=case, author=carys, text="Going well.", created_at=now
    )
    ReferralEvent.objects.create(
        referral=case,
        kind=ReferralEvent.Kind.NOTE,
        actor=llinos,
        note="Phoned.",
        visible_to_referrer=True,
        created_at=now,
    )
    notices = {
        who.username: Notification.objects.create(
            recipient=who,
            referral=case,
            created_at=now,
            message=f"Referral {case.reference} for Glenys Quarrington was accepted.",
        )
        for who in (gp, prys, llinos)
    }
    ClosureSummary.objects.create(
        referral=closed,
        reason="completed",
        written_by=llinos,
        what_mattered="Company",
        connected_to="Gardening",
        outcomes="Less lonely",
        created_at=now,
    )
    pair = PossibleDuplicate.objects.create(
        scheme=scheme,
        person=eirlys,
        existing=eirlys_known,
        referral=newer,
        reason="demographics",
        created_at=now,
    )

    client, token = api_client_create(
        name="Afon EMIS",
        organisation=practice,
        scopes=[ApiScope.REFERRALS_READ, ApiScope.REFERRALS_WRITE, ApiScope.FHIR_READ],
    )
    ApiIdempotencyKey.objects.create(
        api_client=client, key="first-try", referral=received, request_hash="0" * 64
    )
    OutboxEmail.objects.create(
        about=f"referrals.referral:{case.uuid}",
        to=glenys.email,
        subject="Your social prescription",
        body_text="Your social prescription, Glenys",
        created_at=now,
    )
    OutboxEmail.objects.create(
        to=gp.email,
        subject=f"Referral {received.reference}: Received",
        body_text="Dear Gwen",
        created_at=now,
    )
    audit_view(
        actor=carys,
        what="referral list",
        people=[glenys, bryn],
        records=[case.reference, received.reference],
    )
    change = ServiceChange.objects.create(
        service=gardening,
        proposed_by=prys,
        before={"name": gardening.name},
        after={"name": "Gardening"},
    )
    run = RollupRun.objects.create(
        kind=RollupRun.Kind.INCREMENTAL,
        requested_by=carys,
        state=RollupRun.State.DONE,
        in_flight=None,
        created_at=now,
    )

    people = [glenys, bryn, mair, eirlys, eirlys_known, heledd, osian]
    world = World(
        users={
            "referrer": gp,
            "link_worker": llinos,
            "coordinator": carys,
            "provider": prys,
            "commissioner": catrin,
            "admin": aled,
            "peer_navigator": sian,
            "dpo": dilys,
        },
        people=people,
        referrals={
            "case": case,
            "received": received,
            "closed": closed,
            "known": known,
            "newer": newer,
            "self": self_referred,
            "elsewhere": elsewhere,
        },
        objects={
            "goal": goal,
            "connection": connection,
            "instrument": instrument,
            "pair": pair,
            "notices": notices,
            "service": gardening,
            "change": change,
            "run": run,
            "practice": practice,
            "api_client": client,
        },
        api_token=token,
    )
    world.markers = [
        (word, marker, person) for person in people for word, marker in _markers(person)
    ]
    assert AuditEvent.objects.exists()
    return world
