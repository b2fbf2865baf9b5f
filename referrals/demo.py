"""Demo referrals: about 300 fictional people and referrals in every status, from every source.

Runs after accounts/demo.py. Everything is invented; NHS numbers come from the
999 test range (never issued to a real person) with a valid check digit, and
the postcodes are real places in the valleys (so distances to services work).
Deterministic and bulk-created, because it runs in every `make run` and in
the browser tests; safe to run twice.
"""

import random
from datetime import timedelta

import nhs_number
from django.utils import timezone

from accounts.models import Area, Organisation, User
from directory import postcodes

from .models import (
    ClosureReason,
    ContactMethod,
    EthnicGroup,
    Gender,
    GPFeedback,
    Person,
    PersonAsReferred,
    Reason,
    Referral,
    ReferralEvent,
    RejectionReason,
    SourceKind,
    Status,
    Urgency,
    triage_rank_for,
)
from .services import REFERENCE_ALPHABET, REFERENCE_LENGTH

SCHEME_NAME = "Teg Valley Community Connectors"
EXTRA_ORGANISATIONS = [
    ("Teg Valley Adult Social Care", "Gofal Cymdeithasol Oedolion Dyffryn Teg", "social_care"),
    ("Teg Homes Housing Association", "Cymdeithas Dai Cartrefi Teg", "housing"),
    ("Teg Valley Citizens Advice", "Cyngor ar Bopeth Dyffryn Teg", "third_sector"),
]
# username: (cluster codes covered, languages, capacity, open cases in the demo)
LINK_WORKERS = {
    "linkworker": (["7X1C1"], ["en", "cy"], 25, 15),
    "linkworker2": (["7X1C2"], ["en"], 35, 30),
    "linkworker3": (["7X2C1", "7X2C2"], ["en", "cy"], 35, 30),
}
# Final status: how many, and the path of moves that led there.
PLAN = [
    (Status.RECEIVED, 45, []),
    (Status.ACCEPTED, 30, [Status.ACCEPTED]),
    (Status.REJECTED, 20, [Status.REJECTED]),
    (Status.CANCELLED, 20, [Status.CANCELLED]),
    (Status.ALLOCATED, 20, [Status.ACCEPTED, Status.ALLOCATED]),
    (Status.IN_PROGRESS, 45, [Status.ACCEPTED, Status.ALLOCATED, Status.IN_PROGRESS]),
    (Status.ON_HOLD, 10, [Status.ACCEPTED, Status.ALLOCATED, Status.IN_PROGRESS, Status.ON_HOLD]),
    (Status.CLOSED, 110, [Status.ACCEPTED, Status.ALLOCATED, Status.IN_PROGRESS, Status.CLOSED]),
]
MILESTONES = {
    Status.ACCEPTED: "accepted_at",
    Status.REJECTED: "rejected_at",
    Status.ALLOCATED: "allocated_at",
    Status.IN_PROGRESS: "first_contact_at",
    Status.CLOSED: "closed_at",
    Status.CANCELLED: "cancelled_at",
}
GIVEN = [
    "Aled",
    "Bethan",
    "Cerys",
    "Dylan",
    "Eleri",
    "Ffion",
    "Gareth",
    "Huw",
    "Iolo",
    "Lowri",
    "Megan",
    "Nia",
    "Owain",
    "Rhys",
    "Seren",
    "Tomos",
    "Wyn",
    "Alys",
    "Emyr",
    "Glenys",
    "Mair",
    "Idris",
    "Ceri",
    "Delyth",
    "Bryn",
    "Ieuan",
    "Morfudd",
    "Sioned",
    "Elin",
    "John",
]
FAMILY = [
    "Jones",
    "Williams",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Lewis",
    "Hughes",
    "Morgan",
    "Griffiths",
    "Price",
    "Pritchard",
    "Powell",
    "Rees",
    "Lloyd",
    "Howells",
    "Bevan",
    "Jenkins",
    "Vaughan",
    "Prosser",
]
WHAT_MATTERS = [
    "Since her husband died she rarely leaves the house and would like to meet people.",
    "Wants to get more active after his heart operation but lacks confidence.",
    "Worried about debts and rent arrears; it is affecting his sleep.",
    "Cares for her mother full time and has no time for herself.",
    "Would like to get back into gardening and be outdoors more.",
    "Feels low since retiring and misses having a purpose; interested in volunteering.",
    "Living with diabetes and would like support with healthy eating and walking.",
    "Recently moved to the area and does not know anyone.",
]
SUMMARIES = [
    "Joined a walking group and a community garden; feels more connected.",
    "Referred to debt advice; repayment plan agreed. Person happy to finish.",
    "Attending the men's shed weekly and volunteering at the food bank.",
    "Could not be reached after three attempts by phone and letter.",
]


def _reference(rng):
    return "SP-" + "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _test_nhs_number(rng):
    while True:
        stem = "999" + f"{rng.randrange(10**6):06d}"
        check = nhs_number.calculate_checksum(stem)
        if int(check) < 10:
            return stem + str(check)


# The valleys' districts the demo's people live in: CF31 to CF48.
DEMO_DISTRICTS = range(31, 49)


def _postcode(rng, districts: dict[str, list[str]]):
    """A real postcode in the valleys, so that the link worker's search can say how far away
    services are: drawn as an invented one always was (the rest of the demo stays the same),
    then the real one of that sector (else district) its unit letters point to.

    `districts` holds each district's packaged postcodes, sorted (`postcodes.district_postcodes`,
    read from the package without writing them): a sector's are those of its district that
    start with it, in the same order."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    district = f"CF{rng.randint(DEMO_DISTRICTS.start, DEMO_DISTRICTS.stop - 1)}"
    sector = str(rng.randint(1, 9))
    first, second = rng.choice(letters), rng.choice(letters)
    in_sector = [code for code in districts[district] if code.startswith(f"{district} {sector}")]
    real = in_sector or districts[district]
    if not real:
        return f"{district} {sector}{first}{second}"
    return real[(letters.index(first) * len(letters) + letters.index(second)) % len(real)]


def _link_workers() -> dict:
    """The demo link workers' logins (their caseload profiles are linkworkers' demo)."""
    return {username: User.objects.get(username=username) for username in LINK_WORKERS}


def _sources():
    for name, name_cy, kind in EXTRA_ORGANISATIONS:
        Organisation.objects.update_or_create(
            name=name,
            kind=kind,
            defaults={"name_cy": name_cy, "area": Area.objects.get(code="7X1C2")},
        )
    gp_practices = list(
        Organisation.objects.filter(ods_code__startswith="W990").order_by("ods_code")
    )
    return [
        *[(SourceKind.GP, org) for org in gp_practices],
        (SourceKind.GP, gp_practices[0]),  # the demo GP's practice sends the most
        (SourceKind.HEALTH, Organisation.objects.get(ods_code="7X1")),
        *[
            (SourceKind(kind), Organisation.objects.get(name=name, kind=kind))
            for name, _cy, kind in EXTRA_ORGANISATIONS
        ],
        (SourceKind.SELF, None),
    ]


def seed(stdout):
    rng = random.Random(4)
    scheme = Organisation.objects.get(name=SCHEME_NAME, kind=Organisation.Kind.SCHEME)
    workers = _link_workers()
    sources = _sources()
    references = [_reference(rng) for _ in range(sum(count for _s, count, _p in PLAN))]
    if Referral.objects.filter(reference=references[0]).exists():
        stdout.write(f"referrals: demo referrals already there ({Referral.objects.count()})")
        return

    # The districts `_postcode` draws from, read together (one decoding of the letter's file).
    districts = postcodes.district_postcodes(*(f"CF{number}" for number in DEMO_DISTRICTS))
    coordinator = User.objects.get(username="coordinator")
    gp = User.objects.get(username="gp")
    now = timezone.now()
    used_nhs = set(Person.objects.exclude(nhs_number=None).values_list("nhs_number", flat=True))
    people = []
    for _ in range(280):
        number = _test_nhs_number(rng) if rng.random() < 0.8 else None
        if number in used_nhs:
            number = None
        used_nhs.add(number)
        people.append(
            Person(
                given_name=rng.choice(GIVEN),
                family_name=rng.choice(FAMILY),
                date_of_birth=(now - timedelta(days=rng.randint(18 * 365, 90 * 365))).date(),
                nhs_number=number,
                gender=rng.choice([Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.NOT_STATED]),
                ethnic_group=rng.choice(
                    [
                        EthnicGroup.A,
                        EthnicGroup.A,
                        EthnicGroup.A,
                        EthnicGroup.C,
                        EthnicGroup.H,
                        EthnicGroup.N,
                        EthnicGroup.Z,
                    ]
                ),
                postcode=_postcode(rng, districts),
                phone=f"07700 9{rng.randint(0, 99999):05d}",
                contact_method=rng.choice(ContactMethod.values),
                may_leave_message=rng.random() < 0.6,
                preferred_language=rng.choice(["en", "en", "en", "cy"]),
                consent_to_share=True,
                consent_recorded_at=now,
            )
        )
    # Only the people's postcodes go in the table, with their real places (a lookup of another
    # loads its district, as in any database): a few hundred rows rather than 16,000.
    postcodes.put(*{person.postcode for person in people})
    people = Person.objects.bulk_create(people)
    people += rng.sample(people, 20)  # some people are referred twice

    open_quota = {name: LINK_WORKERS[name][3] for name in LINK_WORKERS}
    referrals, paths = [], []
    index = 0
    closed_count, gp_has_coded_only = 0, False
    for status, count, path in PLAN:
        for _ in range(count):
            source_kind, organisation = rng.choice(sources)
            days_ago = rng.randint(0, 14) if status == Status.RECEIVED else rng.randint(20, 360)
            received = now - timedelta(days=days_ago, minutes=rng.randint(0, 600))
            referral = Referral(
                reference=references[index],
                person=people[index % len(people)],
                person_details_as_referred=PersonAsReferred.snapshot_of(
                    people[index % len(people)]
                ),
                source_kind=source_kind,
                referring_organisation=organisation,
                referring_user=gp if organisation and organisation.ods_code == "W99001" else None,
                referrer_name=""
                if organisation is None
                else rng.choice(["Dr Ann Rees", "Mark Lewis", "Sara Hopkins"]),
                scheme=scheme,
                area=organisation.area if organisation else scheme.area,
                reasons=rng.sample(Reason.values[:-1], rng.randint(1, 3)),
                what_matters=rng.choice(WHAT_MATTERS),
                urgency=Urgency.URGENT if rng.random() < 0.15 else Urgency.ROUTINE,
                consent_to_referral=True,
                consent_to_share=True,
                risk_flag=rng.random() < 0.05,
                status=status,
                version=1 + len(path),
                received_at=received,
            )
            referral.triage_rank = triage_rank_for(referral.status, referral.urgency)
            if referral.risk_flag:
                referral.risk_details = "Lives alone; has mentioned feeling hopeless. GP aware."
            if Status.ALLOCATED in path:
                if status in (Status.ALLOCATED, Status.IN_PROGRESS, Status.ON_HOLD):
                    # Fill every caseload in step, so each holds cases at every stage.
                    name = max(open_quota, key=lambda n: open_quota[n] / LINK_WORKERS[n][3])
                    open_quota[name] -= 1
                else:
                    name = rng.choice(list(LINK_WORKERS))
                referral.link_worker = workers[name]
            moment = received
            steps = []
            for step in path:
                moment = min(
                    moment + timedelta(days=rng.randint(1, 8), hours=rng.randint(0, 8)), now
                )
                if step in MILESTONES:
                    setattr(referral, MILESTONES[step], moment)
                steps.append((step, moment))
            if status == Status.REJECTED:
                referral.rejection_reason = rng.choice(RejectionReason.values)
                referral.suggested_alternative = (
                    "Local Mind wellbeing service, or the practice's mental health nurse."
                )
            if status == Status.ON_HOLD:
                referral.hold_review_date = (now + timedelta(days=rng.randint(7, 30))).date()
            if status == Status.CLOSED:
                referral.closure_reason = rng.choice(ClosureReason.values[:4])
                referral.closure_summary = rng.choice(SUMMARIES)
                # Every third closed referral, and the first the demo GP made, is from someone
                # who chose "coded events only": the summary is in the record, and the GP's
                # page, email and API show the closure reason without it. Chosen by count, not
                # by the random generator, so every other demo value stays as it was.
                closed_count += 1
                if closed_count % 3 == 1 or (
                    referral.referring_user == gp and not gp_has_coded_only
                ):
                    referral.gp_feedback = GPFeedback.CODED_ONLY
                    gp_has_coded_only = gp_has_coded_only or referral.referring_user == gp
            referrals.append(referral)
            paths.append(steps)
            index += 1
    referrals = Referral.objects.bulk_create(referrals)

    events = []
    for referral, steps in zip(referrals, paths, strict=True):
        events.append(
            ReferralEvent(
                referral=referral,
                kind=ReferralEvent.Kind.CREATED,
                to_status=Status.RECEIVED,
                actor=referral.referring_user,
                created_at=referral.received_at,
            )
        )
        previous = Status.RECEIVED
        for step, moment in steps:
            actor = {
                Status.ACCEPTED: coordinator, Status.REJECTED: coordinator,
                Status.ALLOCATED: coordinator, Status.CANCELLED: referral.referring_user,
            }.get(step, referral.link_worker)  # fmt: skip
            note = {
                Status.REJECTED: referral.suggested_alternative,
                Status.CLOSED: referral.closure_summary,
            }.get(step, "")
            events.append(
                ReferralEvent(
                    referral=referral,
                    kind=ReferralEvent.Kind.STATUS,
                    from_status=previous,
                    to_status=step,
                    actor=actor,
                    note=note,
                    created_at=moment,
                )
            )
            previous = step
        if Status.IN_PROGRESS in dict(steps):
            events.append(
                ReferralEvent(
                    referral=referral,
                    kind=ReferralEvent.Kind.NOTE,
                    actor=referral.link_worker,
                    note="Long first call; interested in the community garden and a walking group.",
                    visible_to_referrer=False,
                    created_at=dict(steps)[Status.IN_PROGRESS],
                )
            )
    ReferralEvent.objects.bulk_create(events)
    stdout.write(
        f"referrals: {len(referrals)} referrals, {Person.objects.count()} people, "
        f"{len(events)} timeline events, {len(workers)} link workers"
    )
