"""Demo history: a year of connections, unmet needs and outcomes, for the reporting dashboard.

Runs last in the linkworkers demo. It works on the demo scheme's closed cases
(every link worker's) and on the open cases (in progress or on hold) of
"linkworker2" and "linkworker3" only: the "linkworker" login's open cases and
every case not yet worked (received, accepted, allocated) or never worked
(rejected, cancelled) are left as the browser tests expect them. No referral
changes status. Everything is invented; deterministic; safe to run twice (it
stops when any of those cases already has a connection or an unmet need).
"""

import random
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from directory.models import Service, TaxonomyTerm
from directory.selectors import SEARCH_TAXONOMY
from referrals.models import Referral, ReferralEvent, Status

from .models import (
    Answer,
    Connection,
    ConnectionStatus,
    DeclineReason,
    Instrument,
    OutcomeMeasure,
    Timepoint,
    UnmetNeed,
)
from .scoring import score
from .services import connection_stats_refresh

SCHEME_NAME = "Teg Valley Community Connectors"
OPEN_CASE_WORKERS = ("linkworker2", "linkworker3")
DEMO_PROVIDER = "Teg Valley Growing Together"
# The browser test refers someone to the first of these and finds the provider's card for it
# by the service's name: a second connection to it would make that card ambiguous.
KEPT_FOR_THE_BROWSER_TEST = "Community growing group"

CONNECTED_SHARE = 0.6
TWO_CONNECTIONS_SHARE = 0.35
UNMET_SHARE = 0.12
MEASURED_SHARE = 0.4
UCLA_SHARE = 0.5
SIGNPOSTED_WEIGHT = 0.4

S = ConnectionStatus
# Where a connection ended up, by case and by whether the service takes referrals (a
# signposting-only service is never referred: the person goes along themselves).
CLOSED_STATUSES = [(S.COMPLETED, 35), (S.ATTENDING, 20), (S.STOPPED, 20), (S.DECLINED, 18),
                   (S.ACCEPTED, 7)]  # fmt: skip
OPEN_STATUSES = [(S.ATTENDING, 30), (S.ACCEPTED, 15), (S.REFERRED, 15), (S.PROPOSED, 10),
                 (S.DECLINED, 10), (S.STOPPED, 10), (S.COMPLETED, 10)]  # fmt: skip
SIGNPOSTED_CLOSED = [(S.PROPOSED, 60), (S.STOPPED, 40)]
SIGNPOSTED_OPEN = [(S.PROPOSED, 80), (S.STOPPED, 20)]
# The moves that lead to each status (after proposing), as the services make them.
PATHS = {
    S.PROPOSED: [],
    S.REFERRED: ["referred"],
    S.ACCEPTED: ["referred", "answered"],
    S.DECLINED: ["referred", "answered"],
    S.ATTENDING: ["referred", "answered", "attending"],
    S.COMPLETED: ["referred", "answered", "attending", "ended"],
}
STOPPED_PATHS = [
    ["referred", "answered", "attending", "ended"],
    ["referred", "answered", "ended"],
    ["referred", "ended"],
]
NOTES_FOR_PROVIDER = [
    "Prefers mornings; a little nervous in big groups.",
    "Would like to come with a friend the first time.",
    "Uses a walking stick; needs step-free access.",
    "Welsh speaker; happy in either language.",
    "Keen to start soon; free most weekdays.",
    "",
]
STOP_REASONS = [
    "Decided it was not for them after the first session.",
    "Started a new job; the sessions clash with work.",
    "Unwell for a few weeks; will think about it again later.",
    "The bus journey was too long in the winter.",
]
DECLINES = [
    (DeclineReason.AT_CAPACITY, ""),
    (DeclineReason.AT_CAPACITY, "Full until the new term; try us again then."),
    (DeclineReason.NOT_SUITABLE, ""),
    (DeclineReason.NOT_ELIGIBLE, "Lives outside the area the group covers."),
    (DeclineReason.OTHER, "The group is closed for the summer."),
]
# (category code, weight, note): top-level categories where nothing suitable existed.
UNMET = [
    ("mens-groups", 3, "No men's group he could reach without a car."),
    ("money-debt", 3, "Debt advice had no appointments for six weeks."),
    ("befriending-social", 2, "Nothing social near her at weekends; the lunch club is weekdays."),
    ("physical-activity", 2, "Wanted a free exercise class in the evening; none within reach."),
    ("mental-health", 2, "Asked for peer support in Welsh; none running locally."),
    ("carers", 1, "No sitting service, so she cannot get out while caring."),
    ("housing", 1, "Needed help with damp in a private let; no service covers it."),
]


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _stamps(rng, start, end, count):
    """`count` moments in order between start and end, none at either edge."""
    span = (end - start).total_seconds()
    fractions = sorted(rng.uniform(0.03, 0.97) for _ in range(count))
    return [start + timedelta(seconds=span * fraction) for fraction in fractions]


def _pick(rng, services, count):
    """`count` different services; signposting-only ones less often, as link workers refer
    to a service that takes referrals when there is one."""
    weights = [1 if service.takes_direct_referrals else SIGNPOSTED_WEIGHT for service in services]
    picked = []
    while len(picked) < min(count, len(services)):
        service = rng.choices(services, weights=weights)[0]
        if service not in picked:
            picked.append(service)
    return picked


def _connection(rng, case, service, now):
    closed = case.status == Status.CLOSED
    if service.takes_direct_referrals:
        status = _weighted(rng, CLOSED_STATUSES if closed else OPEN_STATUSES)
    else:
        status = _weighted(rng, SIGNPOSTED_CLOSED if closed else SIGNPOSTED_OPEN)
    if status != S.STOPPED:
        path = PATHS[status]
    elif service.takes_direct_referrals:
        path = rng.choice(STOPPED_PATHS)
    else:
        path = ["ended"]
    start = case.first_contact_at
    end = case.closed_at if closed else now - timedelta(hours=1)
    if status == S.REFERRED:
        # Still waiting for the provider's answer: referred this week, before the reminder.
        start = max(start, now - timedelta(days=6))
    proposed_at, *moments = _stamps(rng, start, end, 1 + len(path))
    if path and path[0] == "referred" and rng.random() < 0.6:
        moments[0] = proposed_at  # "Propose and refer" in one go
    moment = dict(zip(path, moments, strict=True))
    reason, details = rng.choice(DECLINES) if status == S.DECLINED else ("", "")
    answered_at = moment.get("answered")
    return Connection(
        referral=case,
        service=service,
        status=status,
        note_for_provider=rng.choice(NOTES_FOR_PROVIDER) if "referred" in moment else "",
        decline_reason=reason,
        decline_details=details,
        stop_reason=rng.choice(STOP_REASONS) if status == S.STOPPED else "",
        proposed_at=proposed_at,
        referred_at=moment.get("referred"),
        answered_at=answered_at,
        attending_since=moment.get("attending"),
        # A decline ends the connection when it is answered.
        ended_at=answered_at if status == S.DECLINED else moment.get("ended"),
        created_by_id=case.link_worker_id,
        version=1 + len(path),
    )


def _ons4(rng, base=None, trend=None):
    if base is None:
        return [rng.randint(2, 6), rng.randint(3, 6), rng.randint(2, 6), rng.randint(5, 9)]
    life, worth, happy, anxious = base
    # Anxiety is the one item where lower is better.
    if trend == "better":
        moved = [life + rng.randint(1, 4), worth + rng.randint(0, 3), happy + rng.randint(1, 4),
                 anxious - rng.randint(1, 4)]  # fmt: skip
    elif trend == "worse":
        moved = [life - rng.randint(1, 2), worth - rng.randint(0, 2), happy - rng.randint(1, 3),
                 anxious + rng.randint(1, 2)]  # fmt: skip
    else:
        moved = [value + rng.randint(-1, 1) for value in base]
    return [min(10, max(0, value)) for value in moved]


def _ucla(rng, base=None, trend=None):
    if base is None:
        return [rng.randint(2, 3), rng.randint(1, 3), rng.randint(2, 3)]
    values = list(base)
    if trend == "better":
        for index in rng.sample(range(3), rng.randint(1, 3)):
            values[index] = max(1, values[index] - 1)
    elif trend == "worse":
        index = rng.randrange(3)
        values[index] = min(3, values[index] + 1)
    return values


def _measures(rng, case, instrument, baseline_on, closure_on, now):
    """A baseline and a closure of one instrument, scored by the engine, with their events."""
    make = _ons4 if instrument.code == "ons4" else _ucla
    trend = _weighted(rng, [("better", 65), ("same", 20), ("worse", 15)])
    base = make(rng)
    items = list(instrument.items.all())
    made = []
    for timepoint, answered_on, values in (
        (Timepoint.BASELINE, baseline_on, base),
        (Timepoint.CLOSURE, closure_on, make(rng, base, trend)),
    ):
        result = score(instrument, {i.pk: v for i, v in zip(items, values, strict=True)})
        moment = min(timezone.make_aware(datetime.combine(answered_on, time(12))), now)
        measure = OutcomeMeasure(
            referral=case, instrument=instrument, timepoint=timepoint, answered_on=answered_on,
            recorded_by_id=case.link_worker_id, raw_score=result.raw,
            converted_score=result.converted, created_at=moment,
        )  # fmt: skip
        event = ReferralEvent(
            referral=case, kind=ReferralEvent.Kind.NOTE, actor_id=case.link_worker_id,
            note=f"Outcome measure recorded: {instrument.name} ({timepoint}).",
            visible_to_referrer=False, created_at=moment,
        )  # fmt: skip
        made.append((measure, list(zip(items, values, strict=True)), event))
    return made


def seed_history(stdout):
    cases = list(
        Referral.objects.filter(
            scheme__name=SCHEME_NAME, link_worker__isnull=False, first_contact_at__isnull=False
        )
        .filter(
            Q(status=Status.CLOSED, closed_at__isnull=False)
            | Q(
                status__in=[Status.IN_PROGRESS, Status.ON_HOLD],
                link_worker__username__in=OPEN_CASE_WORKERS,
            )
        )
        .order_by("received_at", "pk")
    )
    if (
        not cases
        or Connection.objects.filter(referral__in=cases).exists()
        or UnmetNeed.objects.filter(referral__in=cases).exists()
    ):
        stdout.write("linkworkers: demo history already there (or no cases to add it to)")
        return
    services = list(
        Service.objects.filter(status=Service.Status.ACTIVE)
        .exclude(provider__name=DEMO_PROVIDER, name__startswith=KEPT_FOR_THE_BROWSER_TEST)
        .order_by("provider__name", "name", "pk")
    )
    categories = {
        term.code: term
        for term in TaxonomyTerm.objects.filter(
            taxonomy__name=SEARCH_TAXONOMY, parent__isnull=True, code__in=[c for c, *_ in UNMET]
        )
    }
    unmet = [(categories[code], weight, note) for code, weight, note in UNMET if code in categories]
    instruments = {
        i.code: i
        for i in Instrument.objects.filter(code__in=["ons4", "ucla3"]).prefetch_related("items")
    }
    measured = {
        (referral_id, code)
        for referral_id, code in OutcomeMeasure.objects.filter(referral__in=cases).values_list(
            "referral_id", "instrument__code"
        )
    }
    baselines = dict(
        OutcomeMeasure.objects.filter(
            referral__in=cases, instrument__code="ons4", timepoint=Timepoint.BASELINE
        ).values_list("referral_id", "answered_on")
    )
    rng = random.Random(2026)
    now = timezone.now()
    connected = set(rng.sample(range(len(cases)), round(CONNECTED_SHARE * len(cases))))
    unmet_on = set(rng.sample(range(len(cases)), round(UNMET_SHARE * len(cases))))
    connections, needs, measures, events = [], [], [], []
    for index, case in enumerate(cases):
        if services and index in connected:
            count = 2 if rng.random() < TWO_CONNECTIONS_SHARE else 1
            for service in _pick(rng, services, count):
                connection = _connection(rng, case, service, now)
                connections.append(connection)
                events.append(
                    ReferralEvent(
                        referral=case, kind=ReferralEvent.Kind.CONNECTION,
                        actor_id=case.link_worker_id,
                        note=f"{service.name}: {ConnectionStatus(connection.status).label}.",
                        visible_to_referrer=False, created_at=connection.proposed_at,
                    )
                )  # fmt: skip
        if unmet and index in unmet_on:
            category, note = _weighted(rng, [((c, n), w) for c, w, n in unmet])
            end = case.closed_at if case.status == Status.CLOSED else now - timedelta(hours=1)
            (recorded_at,) = _stamps(rng, case.first_contact_at, end, 1)
            needs.append(
                UnmetNeed(
                    referral=case, category=category, notes=note,
                    recorded_by_id=case.link_worker_id, recorded_at=recorded_at,
                )
            )  # fmt: skip
            events.append(
                ReferralEvent(
                    referral=case, kind=ReferralEvent.Kind.CONNECTION,
                    actor_id=case.link_worker_id, note=f"Unmet need: {category.name}. {note}",
                    visible_to_referrer=False, created_at=recorded_at,
                )
            )  # fmt: skip
        if case.status == Status.CLOSED and rng.random() < MEASURED_SHARE:
            # Cases the outcomes demo already measured keep theirs (one baseline, one closure).
            closure_on = timezone.localdate(case.closed_at)
            first_on = timezone.localdate(case.first_contact_at)
            baseline_on = baselines.get(
                case.pk, min(first_on + timedelta(days=rng.randint(0, 2)), closure_on)
            )
            wanted = ["ons4"] + (["ucla3"] if rng.random() < UCLA_SHARE else [])
            for code in wanted:
                if code in instruments and (case.pk, code) not in measured:
                    measures += _measures(
                        rng, case, instruments[code], baseline_on, closure_on, now
                    )

    Connection.objects.bulk_create(connections)
    UnmetNeed.objects.bulk_create(needs)
    made = OutcomeMeasure.objects.bulk_create(measure for measure, _pairs, _event in measures)
    Answer.objects.bulk_create(
        Answer(measure=measure, item=item, value=value)
        for measure, (_measure, pairs, _event) in zip(made, measures, strict=True)
        for item, value in pairs
    )
    ReferralEvent.objects.bulk_create([*events, *(event for _m, _p, event in measures)])
    touched = sorted({connection.service_id for connection in connections})
    for service_id in touched:
        connection_stats_refresh(service_id=service_id)
    stdout.write(
        f"linkworkers: demo history of {len(connections)} connections to {len(touched)} "
        f"services, {len(needs)} unmet needs and {len(made)} outcome measures "
        f"on {len(cases)} worked cases"
    )
