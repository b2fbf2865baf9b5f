"""Reads for the data protection officer: their scheme's audit trail and unusual access.

A DPO answers for one scheme (their organisation). Their trail holds what the
scheme's own people did (its staff and the link workers working for it,
sign-ins included) and every event that named someone referred to the scheme,
whoever or whatever did it: a GP's list page, a provider's, a partner system's
API read. Events name people through `AuditSubject` (one row per person shown),
so each question here is one indexed query, never a loop over rows.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypedDict, TypeGuard
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractMinute,
    TruncDate,
)
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import AuditEvent, AuditSubject, BankHoliday, Role, User
from referrals.models import Person, Referral, Status
from referrals.selectors import (
    get_person_by_reference_for_data_protection,
    people_in_data_protection_scope,
)
from referrals.validators import normalise_nhs_number

# Reading a person's record: on a page or in an API answer, or in a download.
READS = (AuditEvent.Action.VIEW, AuditEvent.Action.EXPORT)
# Roles whose work is a caseload: anything outside it is worth a second look in bulk.
CASELOAD_ROLES = (Role.LINK_WORKER, Role.PEER_NAVIGATOR)
REFERENCE_RE = re.compile(r"SP-[A-Z0-9]{6,}")
NHS_NUMBER_TYPED_RE = re.compile(r"[0-9][0-9 \-]{8,14}[0-9]")


def is_data_protection_officer(user: User | AnonymousUser) -> TypeGuard[User]:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.DPO
        and user.organisation_id is not None
    )


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day`, local time (TIME_ZONE), whatever the clocks did."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def working_hours() -> tuple[time, time]:
    """AUDIT_WORKING_HOURS ("07:00-19:00", checked when the settings load) as two times."""
    start, end = settings.AUDIT_WORKING_HOURS.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


# Who and whom the scheme answers for --------------------------------------------


def scheme_users(dpo: User) -> QuerySet[User]:
    """The scheme's own people: its organisation's staff and the link workers working for it."""
    return User.objects.filter(
        Q(organisation_id=dpo.organisation_id)
        | Q(link_worker_profile__scheme_id=dpo.organisation_id)
    )


def scheme_user_choices(dpo: User) -> QuerySet[User]:
    """The scheme's people in name order, for the "by user" filters."""
    return (
        User.objects.filter(pk__in=scheme_users(dpo).values("pk"))
        .select_related("organisation")
        .order_by("last_name", "first_name", "pk")
    )


def _people_in_scope(dpo: User) -> QuerySet[Person]:
    """Everyone referred to the scheme, and the records merged into them (their older uuids).

    A coordinator who merges two records moves the referrals to one of them;
    events written before the merge name the other uuid, and still belong to
    the same person's history.
    """
    in_scope = people_in_data_protection_scope(dpo).values("pk")
    return Person.objects.filter(Q(pk__in=in_scope) | Q(merged_into__in=in_scope))


def _subjects_with_person(subjects: QuerySet[AuditSubject]) -> QuerySet[AuditSubject]:
    """Each AuditSubject with `person_id`: the person it names, or the record they joined.

    Resolved once per row through the unique uuid, so the referral checks that
    follow go by the referral's person index; a merged record's referrals moved
    to the record it joined. None when no such person is on record.
    """
    person = Person.objects.filter(uuid=OuterRef("person_uuid")).values(
        key=Coalesce("merged_into_id", "pk")
    )
    return subjects.annotate(person_id=Subquery(person[:1]))


def person_uuids(person: Person) -> list[UUID]:
    """The person's uuid and those of the records merged into them."""
    return [person.uuid, *person.merged_records.values_list("uuid", flat=True)]


def find_people(user: User, text: str) -> list[Person]:
    """The people in the user's data protection scope with this SP- reference or NHS number."""
    text = text.strip()
    if REFERENCE_RE.fullmatch(text.upper()):
        try:
            return [get_person_by_reference_for_data_protection(user, text)]
        except Http404:
            return []
    digits = nhs_number_typed(text)
    if digits is None:
        return []
    return list(
        people_in_data_protection_scope(user)
        .filter(nhs_number=digits)
        .order_by("family_name", "given_name", "pk")
    )


def looks_like_reference_or_nhs_number(text: str) -> bool:
    text = text.strip()
    return bool(REFERENCE_RE.fullmatch(text.upper())) or nhs_number_typed(text) is not None


def nhs_number_typed(text: str) -> str | None:
    """Ten digits as the person typed them (spaces and dashes allowed), or None."""
    try:
        return normalise_nhs_number(text)
    except DjangoValidationError:
        # A number the validator would refuse today (a test-range one, say) may still be on
        # an older record: look it up as typed rather than say no one has it.
        if NHS_NUMBER_TYPED_RE.fullmatch(text):
            digits = re.sub(r"[ \-]", "", text)
            return digits if len(digits) == 10 else None
        return None


def get_audited_user(dpo: User, user_uuid: UUID) -> User:
    """A user whose activity the DPO may read, or 404 alike for "not there" and "not yours".

    The scheme's own people, everything they did; anyone else only when they
    appear in the scheme's trail (they read someone referred to it).
    """
    if not is_data_protection_officer(dpo):
        raise Http404
    candidate = User.objects.select_related("organisation").filter(uuid=user_uuid).first()
    if candidate is None:
        raise Http404
    ours = scheme_users(dpo).filter(pk=candidate.pk).exists()
    if not ours and not audit_trail_for(dpo, actor=candidate).exists():
        raise Http404
    return candidate


# The trail ----------------------------------------------------------------------


def audit_trail_for(
    dpo: User,
    *,
    people: Sequence[UUID] | None = None,
    actor: User | None = None,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The scheme's audit trail, newest first, narrowed by person, user, action and dates.

    Events by the scheme's own people, and events by anyone (or any partner
    system) that named someone referred to the scheme. `people` are uuids (a
    person and the records merged into them); dates are local calendar days,
    both ends included.
    """
    if not is_data_protection_officer(dpo):
        return AuditEvent.objects.none()
    in_scope = _people_in_scope(dpo)
    # The scheme's people listed (a few dozen) rather than a subquery: the database then
    # knows how few they are and goes by the (who, when) index.
    staff = list(scheme_users(dpo).values_list("pk", flat=True))
    if people is None:
        named = AuditSubject.objects.filter(person_uuid__in=in_scope.values("uuid"))
        events = AuditEvent.objects.filter(
            Q(actor_id__in=staff) | Q(pk__in=named.values("event_id"))
        )
    else:
        # The same trail, narrowed to these people, asked from their side: by the index
        # on (person, event), never by every event naming someone of the scheme.
        people = list(people)
        named = AuditSubject.objects.filter(
            person_uuid__in=in_scope.filter(uuid__in=people).values("uuid")
        )
        naming = AuditSubject.objects.filter(person_uuid__in=people)
        events = AuditEvent.objects.filter(
            Q(pk__in=named.values("event_id"))
            | Q(actor_id__in=staff, pk__in=naming.values("event_id"))
        )
    if actor is not None:
        events = events.filter(actor=actor)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(created_at__gte=start_of_day(since))
    if until is not None:
        events = events.filter(created_at__lt=start_of_day(until + timedelta(days=1)))
    return events.select_related(
        "actor", "actor__organisation", "api_client", "api_client__organisation"
    ).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class AuditRow:
    """One event as the DPO sees it.

    `people` are those referred to the scheme whom the event named (shown by
    name, linked to their page); `others` counts the people outside the
    scheme it named, who are not the DPO's to see. `records` are the
    references the event showed: every one for the scheme's own people, only
    the scheme's for anyone else (a GP's list may show other schemes' too).
    """

    event: AuditEvent
    people: list[Person]
    others: int
    records: list[str]
    by_scheme: bool

    @property
    def who(self) -> str:
        if self.event.actor is not None:
            return self.event.actor.get_full_name() or self.event.actor.username
        if self.event.api_client is not None:
            return self.event.api_client.name
        return _("The system")


def audit_rows(dpo: User, events: Iterable[AuditEvent]) -> list[AuditRow]:
    """The events of one page (or one batch of a download) with their people: four queries."""
    events = list(events)
    if not events:
        return []
    named: dict[int, list[UUID]] = defaultdict(list)
    subjects = AuditSubject.objects.filter(event_id__in=[event.pk for event in events])
    for event_id, person_uuid in subjects.values_list("event_id", "person_uuid"):
        named[event_id].append(person_uuid)
    everyone = {person_uuid for uuids in named.values() for person_uuid in uuids}
    in_scope = {
        person.uuid: person.merged_into or person
        for person in _people_in_scope(dpo).filter(uuid__in=everyone).select_related("merged_into")
    }
    shown = {record for event in events for record in event.records}
    scheme_records = set(
        Referral.objects.filter(scheme_id=dpo.organisation_id, reference__in=shown).values_list(
            "reference", flat=True
        )
    )
    ours = set(scheme_users(dpo).values_list("pk", flat=True))
    rows = []
    for event in events:
        uuids = named.get(event.pk, [])
        people = {in_scope[u].pk: in_scope[u] for u in uuids if u in in_scope}
        by_scheme = event.actor_id is not None and event.actor_id in ours
        rows.append(
            AuditRow(
                event=event,
                people=sorted(people.values(), key=lambda p: (p.family_name, p.given_name, p.pk)),
                others=sum(1 for u in uuids if u not in in_scope),
                records=[r for r in event.records if by_scheme or r in scheme_records],
                by_scheme=by_scheme,
            )
        )
    return rows


def people_shown(rows: Iterable[AuditRow]) -> list[Person]:
    """Everyone the rows name by name: the page's own audit row names them."""
    return list({person.pk: person for row in rows for person in row.people}.values())


def records_shown(rows: Iterable[AuditRow]) -> list[str]:
    return list(dict.fromkeys(record for row in rows for record in row.records))


# Unusual access -----------------------------------------------------------------

OUTSIDE_CASELOAD = "outside_caseload"
OUT_OF_HOURS = "out_of_hours"
OUTSIDE_SCHEME = "outside_scheme"


class _Flagged(TypedDict):
    rule: str
    actor: int
    day: date
    people: int
    reads: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class UnusualDay:
    """One user's day that one rule flags, with what it counted (only the flagged reads)."""

    rule: str
    user: User
    day: date
    people: int
    reads: int
    first_at: datetime
    last_at: datetime
    weekend: bool = False
    bank_holiday: str = ""
    before_hours: bool = False
    after_hours: bool = False

    @property
    def reason(self) -> str:
        """Why this day is flagged, in words (the page and the download say the same)."""
        if self.rule == OUTSIDE_CASELOAD:
            return _(
                "Opened the records of %(people)s people outside their own caseload "
                "(more than %(limit)s in a day)."
            ) % {"people": self.people, "limit": settings.AUDIT_UNUSUAL_RECORDS_PER_DAY}
        if self.rule == OUTSIDE_SCHEME:
            return ngettext(
                "Read the record of %(people)s person who has no referral in this scheme.",
                "Read the records of %(people)s people who have no referral in this scheme.",
                self.people,
            ) % {"people": self.people}
        start, end = working_hours()
        if self.bank_holiday:
            when = _("on a bank holiday (%(name)s)") % {"name": self.bank_holiday}
        elif self.weekend:
            when = _("at the weekend")
        elif self.before_hours and self.after_hours:
            when = _("before %(start)s and after %(end)s") % {
                "start": f"{start:%H:%M}",
                "end": f"{end:%H:%M}",
            }
        elif self.before_hours:
            when = _("before %(start)s") % {"start": f"{start:%H:%M}"}
        else:
            when = _("after %(end)s") % {"end": f"{end:%H:%M}"}
        return _("Read people's records %(when)s, outside working hours.") % {"when": when}


@dataclass(frozen=True)
class UnusualAccess:
    since: date
    until: date
    outside_caseload: list[UnusualDay]
    out_of_hours: list[UnusualDay]
    outside_scheme: list[UnusualDay]

    @property
    def count(self) -> int:
        return len(self.outside_caseload) + len(self.out_of_hours) + len(self.outside_scheme)

    @property
    def all(self) -> list[UnusualDay]:
        return [*self.outside_caseload, *self.out_of_hours, *self.outside_scheme]


def unusual_access_for(
    dpo: User, *, since: date, until: date, actor: User | None = None
) -> UnusualAccess:
    """The scheme's people's days that an access rule flags (README, "Data protection").

    One query for the scheme's staff, three aggregate queries over the audit
    table (one per rule, grouped by user and UK day), one for the users they
    name and one for the bank holidays' names, however many events there are.
    """
    if not is_data_protection_officer(dpo):
        return UnusualAccess(since, until, [], [], [])
    staff = scheme_users(dpo)
    if actor is not None:
        staff = staff.filter(pk=actor.pk)
    # A scheme's people are a few dozen: their ids, listed, let the database go by the
    # (who, when) index of the audit table instead of guessing how many rows they hold.
    roles = dict(staff.values_list("pk", "role"))
    readers = sorted(roles)
    caseworkers = sorted(pk for pk, role in roles.items() if role in CASELOAD_ROLES)
    window = Q(
        event__created_at__gte=start_of_day(since),
        event__created_at__lt=start_of_day(until + timedelta(days=1)),
    )
    found = [
        *_outside_caseload(dpo, caseworkers, window),
        *_out_of_hours(readers, window),
        *_outside_scheme(dpo, readers, window),
    ]
    users = User.objects.select_related("organisation").in_bulk({row["actor"] for row in found})
    holidays = {
        holiday.date: holiday.display_name
        for holiday in BankHoliday.objects.filter(
            date__in={row["day"] for row in found if row["rule"] == OUT_OF_HOURS}
        )
    }
    start, end = working_hours()
    zone = local_zone()
    days = []
    for row in found:
        first_at, last_at = row["first_at"], row["last_at"]
        days.append(
            UnusualDay(
                rule=row["rule"],
                user=users[row["actor"]],
                day=row["day"],
                people=row["people"],
                reads=row["reads"],
                first_at=first_at,
                last_at=last_at,
                weekend=row["day"].isoweekday() >= 6,
                bank_holiday=holidays.get(row["day"], ""),
                before_hours=first_at.astimezone(zone).time() < start,
                after_hours=last_at.astimezone(zone).time() >= end,
            )
        )
    days.sort(key=lambda day: (day.day, day.people, day.reads), reverse=True)
    return UnusualAccess(
        since=since,
        until=until,
        outside_caseload=[day for day in days if day.rule == OUTSIDE_CASELOAD],
        out_of_hours=[day for day in days if day.rule == OUT_OF_HOURS],
        outside_scheme=[day for day in days if day.rule == OUTSIDE_SCHEME],
    )


def _outside_caseload(dpo: User, caseworkers: list[int], window: Q) -> list[_Flagged]:
    """Link workers' and peer navigators' days with many records opened outside their work.

    Their work: a referral allocated to them (now or before it closed), one
    they are attached to as a peer navigator, and the scheme's unallocated
    queue, which every link worker may pick from.
    """
    theirs = Referral.objects.filter(person_id=OuterRef("person_id")).filter(
        Q(link_worker_id=OuterRef("event__actor_id"))
        | Q(peer_navigators__user_id=OuterRef("event__actor_id"))
        | Q(
            scheme_id=dpo.organisation_id,
            link_worker__isnull=True,
            status__in=[Status.RECEIVED, Status.ACCEPTED],
        )
    )
    subjects = _subjects_with_person(
        AuditSubject.objects.filter(
            window,
            event__actor_id__in=caseworkers,
            event__action=AuditEvent.Action.VIEW,
        )
    ).filter(~Exists(theirs))
    return [
        row
        for row in _grouped(subjects, OUTSIDE_CASELOAD)
        if row["people"] > settings.AUDIT_UNUSUAL_RECORDS_PER_DAY
    ]


def _outside_scheme(dpo: User, readers: list[int], window: Q) -> list[_Flagged]:
    """The scheme's people reading someone with no referral in the scheme."""
    known = Referral.objects.filter(person_id=OuterRef("person_id"), scheme_id=dpo.organisation_id)
    subjects = _subjects_with_person(
        AuditSubject.objects.filter(window, event__actor_id__in=readers, event__action__in=READS)
    ).filter(~Exists(known))
    return _grouped(subjects, OUTSIDE_SCHEME)


def _grouped(subjects: QuerySet[AuditSubject], rule: str) -> list[_Flagged]:
    """Flagged reads grouped by user and local day: how many people, reads, first and last."""
    rows = (
        subjects.annotate(day=TruncDate("event__created_at", tzinfo=local_zone()))
        .values("event__actor_id", "day")
        .annotate(
            people=Count("person_uuid", distinct=True),
            reads=Count("event_id", distinct=True),
            first_at=Min("event__created_at"),
            last_at=Max("event__created_at"),
        )
        .order_by()
    )
    return [
        {
            "rule": rule,
            "actor": row["event__actor_id"],
            "day": row["day"],
            "people": row["people"],
            "reads": row["reads"],
            "first_at": row["first_at"],
            "last_at": row["last_at"],
        }
        for row in rows
    ]


def _out_of_hours(readers: list[int], window: Q) -> list[_Flagged]:
    """Reads of people's records by the scheme's people outside working hours, local time.

    Outside AUDIT_WORKING_HOURS on a weekday, any time at a weekend or on a
    bank holiday (accounts.BankHoliday). Driven, like the other rules, from
    the people each read named, so a sign-in or a page naming no one is no read.
    """
    zone = local_zone()
    start, end = working_hours()
    when = "event__created_at"
    subjects = (
        AuditSubject.objects.filter(window, event__actor_id__in=readers, event__action__in=READS)
        .annotate(
            minute=ExtractHour(when, tzinfo=zone) * 60 + ExtractMinute(when, tzinfo=zone),
            weekday=ExtractIsoWeekDay(when, tzinfo=zone),
            local_day=TruncDate(when, tzinfo=zone),
        )
        .annotate(holiday=Exists(BankHoliday.objects.filter(date=OuterRef("local_day"))))
        .filter(
            Q(minute__lt=start.hour * 60 + start.minute)
            | Q(minute__gte=end.hour * 60 + end.minute)
            | Q(weekday__gte=6)
            | Q(holiday=True)
        )
    )
    return _grouped(subjects, OUT_OF_HOURS)


def all_audit_rows(dpo: User, events: QuerySet[AuditEvent], batch: int = 1000) -> list[AuditRow]:
    """Every event of a filtered trail with its people, for a download: a few queries a batch."""
    rows: list[AuditRow] = []
    pending: list[AuditEvent] = []
    for event in events.iterator(chunk_size=batch):
        pending.append(event)
        if len(pending) == batch:
            rows.extend(audit_rows(dpo, pending))
            pending = []
    rows.extend(audit_rows(dpo, pending))
    return rows
