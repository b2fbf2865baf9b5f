"""Demo outcome measures: ONS4 and UCLA baselines, reviews and closures on demo cases.

Called by the linkworkers demo after the referrals demo, so that the outcomes
pages and reporting have data. Deterministic and bulk-created; safe to run
twice. Some open cases are left without a baseline, for the demo link worker
to record one.
"""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from referrals.models import Referral, ReferralEvent, Status

from .models import Answer, Instrument, OutcomeMeasure, Timepoint
from .scoring import score

SCHEME_NAME = "Teg Valley Community Connectors"
REVIEW_AFTER = timedelta(weeks=12)


def _ons4(rng, base=None):
    if base is None:
        return [rng.randint(2, 6), rng.randint(3, 6), rng.randint(2, 6), rng.randint(5, 9)]
    life, worth, happy, anxious = base
    return [
        min(10, life + rng.randint(-1, 4)),
        min(10, worth + rng.randint(-1, 3)),
        min(10, happy + rng.randint(-1, 4)),
        max(0, anxious - rng.randint(-1, 4)),
    ]


def _ucla(rng, base=None):
    if base is None:
        return [rng.randint(2, 3), rng.randint(1, 3), rng.randint(2, 3)]
    return [max(1, value - rng.randint(0, 1)) for value in base]


def _plan(rng, referral, today):
    """(timepoint, date) for each measure this case gets, baseline first."""
    start = timezone.localdate(referral.first_contact_at or referral.received_at)
    baseline_on = min(start + timedelta(days=rng.randint(0, 7)), today)
    plan = [(Timepoint.BASELINE, baseline_on)]
    if referral.status == Status.CLOSED:
        closed_on = max(timezone.localdate(referral.closed_at), baseline_on)
        if (closed_on - baseline_on) > REVIEW_AFTER:
            plan.append((Timepoint.REVIEW, baseline_on + REVIEW_AFTER))
        plan.append((Timepoint.CLOSURE, closed_on))
    elif today - baseline_on > REVIEW_AFTER:
        plan.append(
            (Timepoint.REVIEW, baseline_on + REVIEW_AFTER + timedelta(days=rng.randint(0, 10)))
        )
    return [(tp, min(on, today)) for tp, on in plan]


def seed_outcomes(stdout):
    instruments = {
        i.code: i
        for i in Instrument.objects.filter(code__in=["ons4", "ucla3"]).prefetch_related("items")
    }
    if len(instruments) < 2:
        stdout.write("outcomes: the shipped instruments are missing (run migrate); none added")
        return
    cases = list(
        Referral.objects.filter(
            scheme__name=SCHEME_NAME,
            status__in=[Status.IN_PROGRESS, Status.CLOSED],
            link_worker__isnull=False,
            first_contact_at__isnull=False,
        ).order_by("received_at", "pk")
    )
    if OutcomeMeasure.objects.filter(referral__in=cases).exists():
        stdout.write(f"outcomes: demo measures already there ({OutcomeMeasure.objects.count()})")
        return
    rng = random.Random(12)
    today = timezone.localdate()
    now = timezone.now()
    measures, answer_values, events = [], [], []
    open_seen: dict[int, int] = {}
    for referral in cases:
        # Every other open case of each link worker waits for its baseline; a few closed
        # ones never had one.
        if referral.status == Status.IN_PROGRESS:
            seen = open_seen[referral.link_worker_id] = (
                open_seen.get(referral.link_worker_id, 0) + 1
            )
            if seen % 2:
                continue
        elif rng.random() < 0.15:
            continue
        codes = ["ons4", "ucla3"] if rng.random() < 0.6 else ["ons4"]
        plan = _plan(rng, referral, today)
        for code in codes:
            instrument = instruments[code]
            make = _ons4 if code == "ons4" else _ucla
            base = make(rng)
            for timepoint, answered_on in plan:
                moment = min(timezone.make_aware(datetime.combine(answered_on, time(12))), now)
                values = base if timepoint == Timepoint.BASELINE else make(rng, base)
                items = list(instrument.items.all())
                result = score(instrument, {i.pk: v for i, v in zip(items, values, strict=True)})
                measures.append(
                    OutcomeMeasure(
                        referral=referral, instrument=instrument, timepoint=timepoint,
                        answered_on=answered_on, recorded_by_id=referral.link_worker_id,
                        raw_score=result.raw, converted_score=result.converted, created_at=moment,
                    )
                )  # fmt: skip
                answer_values.append(list(zip(items, values, strict=True)))
                events.append(
                    ReferralEvent(
                        referral=referral, kind=ReferralEvent.Kind.NOTE,
                        actor_id=referral.link_worker_id, visible_to_referrer=False,
                        note=f"Outcome measure recorded: {instrument.name} ({timepoint}).",
                        created_at=moment,
                    )
                )  # fmt: skip
    measures = OutcomeMeasure.objects.bulk_create(measures)
    Answer.objects.bulk_create(
        Answer(measure=measure, item=item, value=value)
        for measure, pairs in zip(measures, answer_values, strict=True)
        for item, value in pairs
    )
    ReferralEvent.objects.bulk_create(events)
    stdout.write(f"outcomes: {len(measures)} outcome measures on {len(cases)} worked cases")
