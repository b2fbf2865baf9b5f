"""Outcome measures: instruments for a case, results over time, reviews falling due."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Min, Q
from django.http import Http404
from django.utils.translation import gettext

from ..models import (
    CLOSURE_STATUSES,
    RECORDING_STATUSES,
    Instrument,
    OutcomeMeasure,
    ScoringMethod,
    Timepoint,
)


def instruments_for_case(referral):
    """The instruments this case's scheme may use, by name."""
    return Instrument.objects.available_to_scheme(referral.scheme_id).order_by("name", "pk")


def get_instrument_for_case(referral, code):
    """An instrument by code, or 404 when it is unknown, inactive or another scheme's."""
    instrument = instruments_for_case(referral).filter(code=code).prefetch_related("items").first()
    if instrument is None:
        raise Http404
    return instrument


TIMEPOINT_RANK = {Timepoint.BASELINE: 0, Timepoint.REVIEW: 1, Timepoint.CLOSURE: 2}


@dataclass(frozen=True)
class Change:
    """A score's change since baseline, and whether it is for the better given the direction."""

    delta: Decimal
    higher_is_better: bool

    @property
    def better(self):
        return self.delta != 0 and (self.delta > 0) == self.higher_is_better

    @property
    def worse(self):
        return self.delta != 0 and not self.better

    @property
    def signed(self):
        text = f"{self.delta.normalize():f}" if self.delta % 1 else f"{int(self.delta)}"
        return f"+{text}" if self.delta > 0 else text


@dataclass
class Line:
    """One score followed over time: an item of a per-item instrument, or a total."""

    label: str
    higher_is_better: bool
    values: list = field(default_factory=list)  # one per measure, in the measures' order
    changes: list = field(default_factory=list)  # Change since baseline, None at/without it

    @property
    def first(self):
        return self.values[0] if self.values else None

    @property
    def latest(self):
        return self.values[-1] if self.values else None

    @property
    def latest_change(self):
        return self.changes[-1] if len(self.changes) > 1 else None


@dataclass
class InstrumentOutcomes:
    instrument: Instrument
    measures: list  # baseline first, then reviews by date, then closure
    lines: list

    @property
    def baseline(self):
        first = self.measures[0]
        return first if first.timepoint == Timepoint.BASELINE else None

    @property
    def rows(self):
        """For the data table: each measure with its (value, change) per line."""
        return [
            (measure, [(line.values[n], line.changes[n]) for line in self.lines])
            for n, measure in enumerate(self.measures)
        ]


def _lines_for(instrument, measures):
    if instrument.is_per_item:
        lines = []
        for item in instrument.items.all():
            values = [
                next((a.value for a in m.answers.all() if a.item_id == item.pk), None)
                for m in measures
            ]
            lines.append(Line(item.display_label, item.higher_is_better, values))
    else:
        lines = []
        if any(m.converted_score is not None for m in measures):
            label = (
                gettext("Mean score")
                if instrument.scoring == ScoringMethod.MEAN
                else gettext("Converted score")
            )
            lines.append(
                Line(label, instrument.higher_is_better, [m.converted_score for m in measures])
            )
        totals = [m.raw_score for m in measures]
        lines.append(Line(gettext("Total score"), instrument.higher_is_better, totals))
    has_baseline = measures[0].timepoint == Timepoint.BASELINE
    for line in lines:
        base = line.values[0]
        line.changes = [
            Change(Decimal(value) - Decimal(base), line.higher_is_better)
            if n and has_baseline and value is not None and base is not None
            else None
            for n, value in enumerate(line.values)
        ]
    return lines


def outcomes_for_case(referral) -> list[InstrumentOutcomes]:
    """Per instrument: the measures in order and each score's change since baseline.

    Three queries however many measures the case has.
    """
    measures = (
        OutcomeMeasure.objects.filter(referral=referral)
        .select_related("instrument", "recorded_by")
        .prefetch_related("answers", "instrument__items")
    )
    by_instrument: dict[int, list] = {}
    for measure in measures:
        by_instrument.setdefault(measure.instrument_id, []).append(measure)
    results = []
    for group in by_instrument.values():
        group.sort(key=lambda m: (TIMEPOINT_RANK[m.timepoint], m.answered_on, m.created_at, m.pk))
        instrument = group[0].instrument
        results.append(InstrumentOutcomes(instrument, group, _lines_for(instrument, group)))
    results.sort(key=lambda r: r.instrument.display_name)
    return results


def outcome_reviews_due_on(referral_ids) -> dict[int, date]:
    """When each case's outcome review falls due: the first baseline plus OUTCOME_REVIEW_WEEKS.

    Cases with no baseline, or with a review or closure measure since it,
    have nothing due and are left out. One query for any number of cases
    (for the caseload page).
    """
    rows = (
        OutcomeMeasure.objects.filter(referral_id__in=referral_ids)
        .values("referral_id")
        .annotate(
            baseline_on=Min("answered_on", filter=Q(timepoint=Timepoint.BASELINE)),
            followed_up_on=Max("answered_on", filter=~Q(timepoint=Timepoint.BASELINE)),
        )
    )
    weeks = timedelta(weeks=settings.OUTCOME_REVIEW_WEEKS)
    return {
        row["referral_id"]: row["baseline_on"] + weeks
        for row in rows
        if row["baseline_on"] is not None
        and (row["followed_up_on"] is None or row["followed_up_on"] < row["baseline_on"])
    }


def outcome_review_due_on(referral) -> date | None:
    """The date this case's outcome review falls due, or None when none is due."""
    return outcome_reviews_due_on([referral.pk]).get(referral.pk)


@dataclass(frozen=True)
class OutcomeChoice:
    instrument: Instrument
    timepoints: list


def outcome_choices_for_case(referral, results) -> list[OutcomeChoice]:
    """What may be recorded now, per instrument: a baseline until there is one, reviews
    at any time, and the closure measure once contact is made, until there is one."""
    if referral.status not in RECORDING_STATUSES:
        return []
    done = {
        (r.instrument.pk, m.timepoint)
        for r in results
        for m in r.measures
        if m.timepoint != Timepoint.REVIEW
    }
    choices = []
    for instrument in instruments_for_case(referral):
        timepoints = [
            timepoint
            for timepoint in Timepoint
            if (instrument.pk, timepoint.value) not in done
            and (timepoint != Timepoint.CLOSURE or referral.status in CLOSURE_STATUSES)
        ]
        choices.append(OutcomeChoice(instrument, timepoints))
    return choices
