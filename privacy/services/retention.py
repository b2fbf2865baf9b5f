"""Retention: people whose every referral has passed its retention period are erased.

The periods are settings (RETENTION in config/settings.py, README "What is
kept and for how long"), by kind of record:

- adult: a referral the scheme took on (closed), for someone 18 or over when
  referred: kept `years` after it closed (the NHS Records Management Code of
  Practice: adult health records, 8 years after the conclusion of treatment);
- child: the same for someone under 18 when referred: kept until their
  `until_age` birthday (one year more if they were 17 when it closed), or
  `years` after it closed, whichever is later; `years` after it closed if it
  closed because they died (the Code: children's records, until the 25th
  birthday, or 26th if 17 at the conclusion of treatment, or 8 years after death);
- never_started: a referral rejected or cancelled before anyone worked on
  it: `years` after that.

A person is erased when every referral of theirs (and of the records merged
into them) is past its date, through the erasure's own door
(erasure.person_erase), with no actor and the deciding rule as the reason.
Erased people are never picked again, so a second run changes nothing.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.exceptions import ApplicationError
from referrals.models import ClosureReason, Person, Referral, Status
from referrals.services import LIVE_STATUSES, person_records_of

from .erasure import person_erase

logger = logging.getLogger(__name__)

ADULT, CHILD, NEVER_STARTED = "adult", "child", "never_started"
# One year more for someone who was this age when their case closed (the Code's "26th if 17").
CHILD_ONE_MORE_YEAR_AT = 17


@dataclass(frozen=True)
class ReferralRetention:
    """One referral's retention: its kind, the day the work ended and the day it may go."""

    reference: str
    kind: str
    ended_on: date
    due_on: date
    rule: str


@dataclass(frozen=True)
class PersonDue:
    """A person every one of whose referrals is past its date; `due_on` is the latest of them."""

    person: Person
    referrals: list[ReferralRetention]

    @property
    def due_on(self) -> date:
        return max(referral.due_on for referral in self.referrals)

    @property
    def deciding(self) -> ReferralRetention:
        return max(self.referrals, key=lambda referral: (referral.due_on, referral.reference))


def _years_after(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _today() -> date:
    """The day the job counts from: today, local time."""
    return timezone.localdate()


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day`, local time."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _rules() -> dict[str, dict[str, int]]:
    rules: dict[str, dict[str, int]] = settings.RETENTION
    return rules


def referral_retention(referral: Referral, born: date | None) -> ReferralRetention | None:
    """When this referral's retention ends, or None while it is live or its end is not known."""
    rules = _rules()
    if referral.status in (Status.REJECTED, Status.CANCELLED):
        ended = referral.rejected_at or referral.cancelled_at
        if ended is None:
            return None
        ended_on = timezone.localdate(ended)
        years = rules[NEVER_STARTED]["years"]
        return ReferralRetention(
            referral.reference, NEVER_STARTED, ended_on, _years_after(ended_on, years),
            f"never started, {years} years after it ended",
        )  # fmt: skip
    if referral.status != Status.CLOSED or referral.closed_at is None or born is None:
        return None
    closed_on = timezone.localdate(referral.closed_at)
    received_on = timezone.localdate(referral.received_at)
    if _age_on(born, received_on) >= 18:
        years = rules[ADULT]["years"]
        return ReferralRetention(
            referral.reference, ADULT, closed_on, _years_after(closed_on, years),
            f"adult, {years} years after closure",
        )  # fmt: skip
    years, until_age = rules[CHILD]["years"], rules[CHILD]["until_age"]
    after_closure = _years_after(closed_on, years)
    if referral.closure_reason == ClosureReason.DECEASED:
        return ReferralRetention(
            referral.reference, CHILD, closed_on, after_closure,
            f"child, {years} years after death",
        )  # fmt: skip
    birthday_age = until_age + (_age_on(born, closed_on) == CHILD_ONE_MORE_YEAR_AT)
    birthday = _years_after(born, birthday_age)
    return ReferralRetention(
        referral.reference, CHILD, closed_on, max(after_closure, birthday),
        f"child, until the {birthday_age}th birthday or {years} years after closure, "
        "whichever is later",
    )  # fmt: skip


def retention_due(*, today: date | None = None) -> list[PersonDue]:
    """The people whose every referral is past its retention date on `today`, oldest due first.

    Reads only: the dry run lists these. A first cut in the database (no live
    referral, the last one ended longer ago than the shortest period) keeps
    the Python check to the few people who may be due.
    """
    today = today or _today()
    shortest = min(rule["years"] for rule in _rules().values())
    cutoff = _years_after(today, -shortest)
    # Records merged into another are erased with it, never on their own.
    people = (
        Person.objects.not_erased()
        .filter(merged_into__isnull=True)
        .annotate(
            t_last_end=Max(
                Coalesce(
                    "referrals__closed_at", "referrals__rejected_at", "referrals__cancelled_at"
                )
            )
        )
        .filter(t_last_end__lt=_start_of(cutoff + timedelta(days=1)))
        .filter(
            ~Exists(
                Referral.objects.filter(person_id=OuterRef("pk")).filter(
                    Q(status__in=LIVE_STATUSES) | Q(status=Status.CLOSED, closed_at__isnull=True)
                )
            )
        )
        .order_by("pk")
    )
    due: list[PersonDue] = []
    for person in people.iterator(chunk_size=500):
        records = person_records_of(person)
        referrals = Referral.objects.filter(person__in=records).order_by("received_at", "pk")
        retentions = [referral_retention(referral, person.date_of_birth) for referral in referrals]
        if not retentions or any(r is None or r.due_on > today for r in retentions):
            continue
        due.append(PersonDue(person=person, referrals=[r for r in retentions if r is not None]))
    return sorted(due, key=lambda person_due: (person_due.due_on, person_due.person.pk))


def retention_apply(*, today: date | None = None) -> list[PersonDue]:
    """Erase everyone whose retention has passed; returns those erased.

    Each person in their own transaction, through person_erase (no actor; the
    reason names the rule that decided). One that cannot be erased now (a new
    referral arrived meanwhile) is left for a later night, with a log line.
    """
    erased: list[PersonDue] = []
    for person_due in retention_due(today=today):
        rule = person_due.deciding
        reason = f"retention {rule.kind}: {rule.rule}; {rule.reference} due {rule.due_on:%Y-%m-%d}"
        try:
            person_erase(person=person_due.person, actor=None, reason=reason)
        except ApplicationError as error:
            logger.warning("Retention left person %s: %s", person_due.person.uuid, error.message)
            continue
        erased.append(person_due)
    return erased
