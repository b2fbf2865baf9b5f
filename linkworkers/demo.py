"""Demo casework: contacts, "what matters" records and plans on the demo link worker's cases.

Runs after referrals/demo.py, on the open cases it allocated to the demo link
worker ("linkworker", Llinos), so that her caseload looks like a working
week: first contacts overdue and due, follow-ups, reviews and goal dates,
some already late, and one person who has not answered for over a week.
Everything is invented; deterministic; safe to run twice.
"""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Area, Organisation, User
from referrals.demo import LINK_WORKERS, SCHEME_NAME
from referrals.models import Referral, ReferralEvent, Status

from .demo_connections import seed_connections
from .demo_coordination import seed_coordination
from .demo_history import seed_history
from .demo_outcomes import seed_outcomes
from .models import Contact, ContactOutcome, Goal, GoalStatus, LinkWorker, WhatMatters

WHAT_MATTERS = [
    (
        "Getting out of the house again and having someone to talk to in the week.",
        "Kind, a good listener; used to run the church tea rota.",
        "Would like to feel less alone in the evenings.",
    ),
    (
        "Being fit enough to walk the dog up the mountain road again.",
        "Determined; his daughter lives nearby and is supportive.",
        "Build up his walking and lose a little weight.",
    ),
    (
        "Sorting out the money worries so she can sleep at night.",
        "Organised; keeps all her letters in a folder.",
        "Get the debts into one plan she can afford.",
    ),
    (
        "Having a few hours a week for himself while caring for his wife.",
        "Patient; handy with tools.",
        "Find something practical to do with other people.",
    ),
]
GOALS = [
    "Go to the Tuesday coffee morning at the community hall",
    "Join the walking group on Thursdays",
    "Book an appointment with Citizens Advice about the debts",
    "Try a session at the men's shed",
    "Ask the carers' centre about a sitting service",
]
NOTES = {
    ContactOutcome.REACHED: "Good conversation; agreed to meet at the hall next week.",
    ContactOutcome.NO_ANSWER: "No answer; left a message as agreed.",
    ContactOutcome.CANCELLED: "Cancelled by phone: unwell today.",
    ContactOutcome.DID_NOT_ATTEND: "Did not come to the arranged meeting at the library.",
}


def _contact(referral, worker, when, outcome, mode="phone", next_on=None, minutes=None):
    return Contact(
        referral=referral,
        happened_at=when,
        mode=mode,
        outcome=outcome,
        minutes=minutes if minutes is not None else (30 if outcome == "reached" else 3),
        notes=NOTES[outcome],
        next_contact_on=next_on,
        recorded_by=worker,
        created_at=when,
    )


def seed(stdout):
    _seed_link_worker_profiles()
    _seed_casework(stdout)
    seed_outcomes(stdout)
    seed_coordination(stdout)
    seed_connections(stdout)
    seed_history(stdout)


LINK_WORKER_PHONES = {"linkworker": "07700 900101", "linkworker2": "07700 900102"}


def _seed_link_worker_profiles() -> None:
    """Each demo link worker's caseload profile: capacity, languages, areas covered."""
    scheme = Organisation.objects.filter(name=SCHEME_NAME, kind=Organisation.Kind.SCHEME).first()
    if scheme is None:
        return
    for username, (codes, languages, capacity, _open) in LINK_WORKERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        profile, _created = LinkWorker.objects.update_or_create(
            user=user,
            defaults={
                "scheme": scheme,
                "capacity": capacity,
                "languages": languages,
                "active": True,
                # Ofcom's drama numbers; the third worker has none, so the scheme's is given.
                "phone": LINK_WORKER_PHONES.get(username, ""),
            },
        )
        profile.areas.set(Area.objects.filter(code__in=codes))


def _seed_casework(stdout):
    worker = User.objects.filter(username="linkworker").first()
    if worker is None:
        return
    cases = list(
        Referral.objects.open()
        .filter(link_worker=worker)
        .order_by("received_at", "pk")
        .select_related("person")
    )
    if not cases or Contact.objects.filter(referral__in=cases).exists():
        stdout.write("linkworkers: demo casework already there (or no cases to add it to)")
        return
    rng = random.Random(7)
    now = timezone.now()
    today = timezone.localdate()
    contacts, records, goals = [], [], []
    allocated = [c for c in cases if c.status == Status.ALLOCATED]
    working = [c for c in cases if c.status != Status.ALLOCATED]

    for index, case in enumerate(allocated):
        if index == 0:
            # Three calls over more than a week, none answered: the page proposes closing.
            for days_ago in (10, 6, 1):
                contacts.append(_contact(case, worker, now - timedelta(days=days_ago), "no_answer"))
        elif index == 1:
            contacts.append(
                _contact(case, worker, now - timedelta(days=1), "no_answer",
                         next_on=today + timedelta(days=2))
            )  # fmt: skip

    for index, case in enumerate(working):
        started = case.first_contact_at or now - timedelta(days=20)
        contacts.append(
            _contact(
                case,
                worker,
                started,
                "reached",
                next_on=timezone.localdate(started) + timedelta(days=7),
            )
        )
        # The latest contact's next date is the follow-up: some late, some this week.
        follow_up = today + timedelta(days=rng.choice([-5, -2, 1, 3, 6, 12]))
        # The latest contact was in the last fortnight, as on a case being worked.
        later = now - timedelta(days=rng.randint(2, 14), hours=rng.randint(0, 6))
        if later > started:
            outcome = rng.choice(["reached", "reached", "cancelled", "did_not_attend"])
            mode = rng.choice(["face_to_face", "phone", "home_visit", "video"])
            contacts.append(_contact(case, worker, later, outcome, mode=mode, next_on=follow_up))
        what_matters, strengths, change = WHAT_MATTERS[index % len(WHAT_MATTERS)]
        records.append(
            WhatMatters(
                referral=case, what_matters=what_matters, strengths=strengths,
                want_to_change=change, updated_by=worker, updated_at=started,
            )
        )  # fmt: skip
        for number in range(1 + index % 3):
            status = [GoalStatus.IN_PROGRESS, GoalStatus.NOT_STARTED, GoalStatus.ACHIEVED][number]
            goals.append(
                Goal(
                    referral=case,
                    description=GOALS[(index + number) % len(GOALS)],
                    status=status,
                    progress_notes="Went once with her neighbour." if number == 0 else "",
                    target_date=today + timedelta(days=rng.choice([-4, 5, 14, 30])),
                    created_by=worker, created_at=started, updated_at=started,
                )
            )  # fmt: skip

    Contact.objects.bulk_create(contacts)
    ReferralEvent.objects.bulk_create(
        ReferralEvent(
            referral=contact.referral, kind=ReferralEvent.Kind.CONTACT, actor=worker,
            note=f"{contact.get_mode_display()}: {contact.get_outcome_display()}.\n{contact.notes}",
            visible_to_referrer=False, created_at=contact.happened_at,
        )
        for contact in contacts
    )  # fmt: skip
    WhatMatters.objects.bulk_create(records)
    Goal.objects.bulk_create(goals)
    stdout.write(
        f"linkworkers: {len(contacts)} contacts, {len(records)} what-matters records and "
        f"{len(goals)} goals on {worker.username}'s {len(cases)} open cases"
    )
