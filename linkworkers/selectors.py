"""Reads about link workers.

The allocation suggestion lives here, not in referrals: DESIGN.md has
linkworkers depend on referrals and never the reverse, so the triage view
(a view may use both apps) asks this module, and referrals' models and
services never import it.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median

from django.conf import settings
from django.db.models import Count, Max, Min, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.selectors import area_and_ancestors, bank_holidays
from directory.models import ServiceAtLocation
from referrals.models import OPEN_STATUSES, Referral, ReferralEvent, Status
from referrals.selectors import get_referral_for, referrals_visible_to

from .models import (
    CLOSURE_STATUSES,
    OPEN_GOAL_STATUSES,
    RECORDING_STATUSES,
    Connection,
    ConnectionStatus,
    Contact,
    ContactOutcome,
    DeclineReason,
    Goal,
    Instrument,
    LinkWorker,
    OutcomeMeasure,
    PeerNavigatorAssignment,
    ScoringMethod,
    SupervisionNote,
    Timepoint,
    UnmetNeed,
    WhatMatters,
)


@dataclass(frozen=True)
class Candidate:
    link_worker: LinkWorker
    open_cases: int
    has_room: bool
    covers_area: bool
    speaks_language: bool

    @property
    def user(self):
        return self.link_worker.user


def link_worker_candidates(*, referral) -> list[Candidate]:
    """The scheme's active link workers, best fit first.

    Best fit: room on their caseload, then covering the referral's area, then
    speaking the person's preferred language, then the fewest open cases.
    Three queries whatever the size of the scheme.
    """
    workers = (
        LinkWorker.objects.filter(scheme_id=referral.scheme_id, active=True)
        .select_related("user")
        .prefetch_related("areas")
        .annotate(
            open_cases=Count(
                "user__referrals_held", filter=Q(user__referrals_held__status__in=OPEN_STATUSES)
            )
        )
        .order_by("user__last_name", "user__first_name")
    )
    area_ids = {a.pk for a in area_and_ancestors(referral.area)} if referral.area_id else set()
    language = referral.person.preferred_language
    candidates = [
        Candidate(
            link_worker=worker,
            open_cases=worker.open_cases,
            has_room=worker.open_cases < worker.capacity,
            covers_area=bool(area_ids & {a.pk for a in worker.areas.all()}),
            speaks_language=language in (worker.languages or []),
        )
        for worker in workers
    ]
    candidates.sort(
        key=lambda c: (not c.has_room, not c.covers_area, not c.speaks_language, c.open_cases)
    )
    return candidates


def suggested_link_worker(candidates: list[Candidate]) -> Candidate | None:
    """The first candidate with room, or none when everyone is full."""
    return next((c for c in candidates if c.has_room), None)


# Cases: referrals a link worker holds -------------------------------------

CASE_ROLES = frozenset({Role.LINK_WORKER, Role.COORDINATOR})
CASE_RELATED = ("person", "link_worker", "scheme", "referring_organisation", "referring_user")


def cases_visible_to(user):
    """Referrals that are cases (a link worker holds or held them) which `user` may open.

    Built on referrals' own scoping: the allocated link worker sees their
    cases and a coordinator their scheme's; another link worker of the same
    scheme, referrers, providers and commissioners see none.
    """
    if not user.is_authenticated or user.role not in CASE_ROLES:
        return Referral.objects.none()
    return referrals_visible_to(user).filter(link_worker__isnull=False)


def get_case_for(user, referral_uuid):
    """The case, or 404 alike for "not there" and "not yours"."""
    try:
        return cases_visible_to(user).select_related(*CASE_RELATED).get(uuid=referral_uuid)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_work_on(user, referral) -> bool:
    """Only the link worker holding a case records contacts, what matters and goals.

    A coordinator may read the case (and close it, which the lifecycle allows)
    but the conversation and the plan are the link worker's.
    """
    return user.role == Role.LINK_WORKER and referral.link_worker_id == user.pk


def contacts_for(referral):
    return Contact.objects.filter(referral=referral).select_related("recorded_by")


def goals_for(referral):
    return Goal.objects.filter(referral=referral).order_by("created_at", "pk")


def what_matters_for(referral) -> WhatMatters | None:
    return WhatMatters.objects.filter(referral=referral).select_related("updated_by").first()


def age_on(date_of_birth: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def add_working_days(start: date, days: int, holidays: frozenset[date] = frozenset()) -> date:
    """The `days`th working day after `start`: weekdays that are not in `holidays`."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            days -= 1
    return current


def unable_to_contact_due(contacts) -> bool:
    """Whether the workspace should propose closing as unable to contact.

    True once the attempts since the last time the person was reached (or
    since allocation) number at least UNABLE_TO_CONTACT_ATTEMPTS and the first
    and last of them are at least UNABLE_TO_CONTACT_MIN_DAYS calendar days
    apart: several tries on one afternoon are not a fair chance to answer.
    """
    failed = []
    for contact in sorted(contacts, key=lambda c: (c.happened_at, c.pk or 0)):
        failed = [] if contact.outcome == ContactOutcome.REACHED else [*failed, contact]
    if not failed or len(failed) < settings.UNABLE_TO_CONTACT_ATTEMPTS:
        return False
    first = timezone.localdate(failed[0].happened_at)
    last = timezone.localdate(failed[-1].happened_at)
    return (last - first).days >= settings.UNABLE_TO_CONTACT_MIN_DAYS


# The caseload ----------------------------------------------------------------

DUE_LABELS = {
    "first_contact": _("First contact due"),
    "follow_up": _("Follow-up"),
    "review": _("Review of the hold"),
    "goal": _("Goal target date"),
    "outcome": _("Outcome measure due"),
    "connection": _("Provider's answer due"),
}

# A referral to a service waits this long for the provider's answer before they
# are reminded (and it shows as due on the link worker's caseload).
CONNECTION_ANSWER_DUE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class DueItem:
    kind: str
    on: date
    overdue: bool

    @property
    def label(self):
        return DUE_LABELS[self.kind]


@dataclass
class CaseRow:
    referral: Referral
    due: list[DueItem] = field(default_factory=list)

    @property
    def next_due(self) -> DueItem | None:
        return self.due[0] if self.due else None

    @property
    def overdue(self) -> bool:
        return any(item.overdue for item in self.due)


@dataclass
class Caseload:
    rows: list[CaseRow]
    open_cases: int
    overdue: int
    first_contacts_due: int
    on_hold: int


def _localdate(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


def _due_items(
    referral, today: date, outcome_due_on: date | None, holidays: frozenset[date]
) -> list[DueItem]:
    dates = []
    if referral.status == Status.ALLOCATED:
        allocated = _localdate(referral.allocated_at or referral.received_at)
        due_on = add_working_days(allocated, settings.FIRST_CONTACT_DUE_DAYS, holidays)
        dates.append(("first_contact", due_on))
    if referral.follow_up_on:
        dates.append(("follow_up", referral.follow_up_on))
    if referral.status == Status.ON_HOLD and referral.hold_review_date:
        dates.append(("review", referral.hold_review_date))
    if referral.goal_due_on:
        dates.append(("goal", referral.goal_due_on))
    if outcome_due_on:
        dates.append(("outcome", outcome_due_on))
    if referral.connection_referred_at:
        answer_due = _localdate(referral.connection_referred_at + CONNECTION_ANSWER_DUE_AFTER)
        dates.append(("connection", answer_due))
    items = [DueItem(kind=kind, on=on, overdue=on < today) for kind, on in dates]
    return sorted(items, key=lambda item: item.on)


def _sort_key(row: CaseRow):
    # Overdue first (oldest first), then the soonest due, then cases with nothing due.
    nothing_due = row.next_due is None
    when = row.next_due.on if row.next_due else date.max
    return (not row.overdue, nothing_due, when, row.referral.received_at, row.referral.pk)


def case_link_workers_for(user):
    """The link workers a coordinator may filter the scheme's caseload by."""
    if user.role != Role.COORDINATOR or not user.organisation_id:
        return User.objects.none()
    return User.objects.filter(
        role=Role.LINK_WORKER, organisation_id=user.organisation_id
    ).order_by("last_name", "first_name", "pk")


def caseload_for(user, *, status="", due="", link_worker=None, today=None) -> Caseload:
    """The open cases `user` may see, each with what is due next; overdue first, then soonest.

    Three queries whatever the number of cases: the latest contact's next
    contact date, the earliest open goal's target date and the oldest referral
    to a service still awaiting the provider's answer come as subqueries; the
    outcome reviews due come in one more query, the bank holidays in a third.
    The counts cover every open case (before the status and due filters).
    """
    today = today or timezone.localdate()
    cases = cases_visible_to(user).open()
    if link_worker is not None:
        cases = cases.filter(link_worker_id=link_worker.pk)
    latest_contact = Contact.objects.filter(referral=OuterRef("pk")).order_by("-happened_at", "-pk")
    earliest_goal = Goal.objects.filter(
        referral=OuterRef("pk"), status__in=OPEN_GOAL_STATUSES, target_date__isnull=False
    ).order_by("target_date")
    oldest_unanswered = Connection.objects.filter(
        referral=OuterRef("pk"), status=ConnectionStatus.REFERRED
    ).order_by("referred_at")
    cases = cases.select_related("person", "link_worker").annotate(
        follow_up_on=Subquery(latest_contact.values("next_contact_on")[:1]),
        last_contact_at=Subquery(latest_contact.values("happened_at")[:1]),
        goal_due_on=Subquery(earliest_goal.values("target_date")[:1]),
        connection_referred_at=Subquery(oldest_unanswered.values("referred_at")[:1]),
    )
    cases = list(cases)
    outcome_due = outcome_reviews_due_on([case.pk for case in cases])
    holidays = bank_holidays()
    rows = [
        CaseRow(referral=case, due=_due_items(case, today, outcome_due.get(case.pk), holidays))
        for case in cases
    ]
    counts = {
        "open_cases": len(rows),
        "overdue": sum(row.overdue for row in rows),
        "first_contacts_due": sum(row.referral.status == Status.ALLOCATED for row in rows),
        "on_hold": sum(row.referral.status == Status.ON_HOLD for row in rows),
    }
    if status:
        rows = [row for row in rows if row.referral.status == status]
    if due == "overdue":
        rows = [row for row in rows if row.overdue]
    elif due == "week":
        week_end = today + timedelta(days=6)
        rows = [row for row in rows if any(today <= item.on <= week_end for item in row.due)]
    rows.sort(key=_sort_key)
    return Caseload(rows=rows, **counts)


def case_for_user(user, referral_uuid):
    """The case, for the link worker it is allocated to and the scheme's coordinators.

    Built on the referral's own access rule, then narrowed: a link worker
    sees the scheme's unallocated queue on the referral pages, but works only
    on their own cases. 404 alike for "not there" and "not yours".
    """
    referral = get_referral_for(user, referral_uuid)
    if user.role == Role.LINK_WORKER and referral.link_worker_id == user.pk:
        return referral
    if user.role == Role.COORDINATOR and referral.scheme_id == user.organisation_id:
        return referral
    raise Http404


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


# The coordinator side ----------------------------------------------------------


@dataclass
class TeamRow:
    link_worker: LinkWorker
    open_cases: int = 0
    by_status: dict = field(default_factory=dict)
    overdue: int = 0

    @property
    def user(self):
        return self.link_worker.user

    @property
    def over_capacity(self) -> bool:
        return self.open_cases > self.link_worker.capacity

    @property
    def at_capacity(self) -> bool:
        return self.open_cases >= self.link_worker.capacity


def team_for(user, *, today=None) -> list[TeamRow]:
    """Every link worker of the coordinator's scheme with their load against capacity.

    Two queries whatever the size of the scheme: the link workers, and the
    scheme's open cases with what is due on each (the caseload's own query).
    Open cases count every case a link worker holds, inactive profiles too.
    """
    if user.role != Role.COORDINATOR or not user.organisation_id:
        return []
    workers = (
        LinkWorker.objects.filter(scheme_id=user.organisation_id)
        .select_related("user")
        .order_by("-active", "user__last_name", "user__first_name", "pk")
    )
    rows = {worker.user_id: TeamRow(link_worker=worker) for worker in workers}
    for case in caseload_for(user, today=today).rows:
        row = rows.get(case.referral.link_worker_id)
        if row is None:
            continue
        row.open_cases += 1
        status = case.referral.status
        row.by_status[status] = row.by_status.get(status, 0) + 1
        row.overdue += case.overdue
    return list(rows.values())


def team_statuses():
    return [(status.value, status.label) for status in Status if status in OPEN_STATUSES]


def reassign_choices_for(user, referral):
    """Who a coordinator may hand `referral` to: the scheme's active link workers but its holder."""
    if user.role != Role.COORDINATOR or user.organisation_id != referral.scheme_id:
        return User.objects.none()
    return (
        User.objects.filter(
            role=Role.LINK_WORKER, organisation_id=referral.scheme_id, is_active=True
        )
        .exclude(pk=referral.link_worker_id)
        .order_by("last_name", "first_name", "pk")
    )


@dataclass(frozen=True)
class WaitingRow:
    referral: Referral
    waiting_days: int
    stage: str

    @property
    def stage_label(self):
        return WAITING_STAGES[self.stage]


WAITING_STAGES = {
    "allocation": _("Awaiting allocation"),
    "first_contact": _("Awaiting first contact"),
}


def waiting_list_for(user, *, today=None) -> list[WaitingRow]:
    """The scheme's waiting list, oldest first: accepted referrals awaiting a link worker,
    and allocated ones awaiting first contact, with the days waited since received.

    One query whatever the length of the list.
    """
    if user.role != Role.COORDINATOR or not user.organisation_id:
        return []
    today = today or timezone.localdate()
    referrals = (
        referrals_visible_to(user)
        .filter(
            Q(status=Status.ACCEPTED) | Q(status=Status.ALLOCATED, first_contact_at__isnull=True)
        )
        .select_related("person", "link_worker")
        .order_by("received_at", "pk")
    )
    return [
        WaitingRow(
            referral=referral,
            waiting_days=(today - timezone.localdate(referral.received_at)).days,
            stage="allocation" if referral.status == Status.ACCEPTED else "first_contact",
        )
        for referral in referrals
    ]


# Supervision notes -------------------------------------------------------------


def supervisee_for(viewer, link_worker_uuid) -> User:
    """The link worker whose supervision notes `viewer` may read and write.

    The link worker themself, or a coordinator of their scheme; 404 alike for
    everyone else and for "not there".
    """
    if not (viewer.is_authenticated and viewer.is_active):
        raise Http404
    try:
        supervisee = User.objects.get(uuid=link_worker_uuid, role=Role.LINK_WORKER)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if may_supervise(viewer, supervisee):
        return supervisee
    raise Http404


def may_supervise(viewer, supervisee) -> bool:
    """Only the link worker and their manager (a coordinator of their scheme)."""
    if supervisee.role != Role.LINK_WORKER:
        return False
    if viewer.pk == supervisee.pk:
        return True
    return (
        viewer.role == Role.COORDINATOR
        and viewer.organisation_id is not None
        and viewer.organisation_id == supervisee.organisation_id
    )


def supervision_notes_for(viewer, supervisee):
    if not may_supervise(viewer, supervisee):
        return SupervisionNote.objects.none()
    return SupervisionNote.objects.filter(link_worker=supervisee).select_related(
        "author", "referral__person"
    )


def supervision_cases_for(supervisee):
    """The cases a supervision note may be about: those the link worker holds or held."""
    return (
        Referral.objects.filter(link_worker=supervisee)
        .select_related("person")
        .order_by("-received_at")
    )


# Peer navigators -----------------------------------------------------------------


def peer_cases_for(user):
    """The cases a peer navigator is attached to (and only while attached and open)."""
    if not (user.is_authenticated and user.is_active and user.role == Role.PEER_NAVIGATOR):
        return Referral.objects.none()
    return Referral.objects.filter(
        peer_navigators__user=user, peer_navigators__active=True, link_worker__isnull=False
    )


def get_peer_case_for(user, referral_uuid):
    """A case for a peer navigator's limited view, or 404 alike for "not there" and "not yours"."""
    try:
        return peer_cases_for(user).select_related(*CASE_RELATED).get(uuid=referral_uuid)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_attached_peer(user, referral) -> bool:
    return (
        user.role == Role.PEER_NAVIGATOR
        and PeerNavigatorAssignment.objects.filter(
            referral_id=referral.pk, user_id=user.pk, active=True
        ).exists()
    )


def can_log_contact(user, referral) -> bool:
    """The link worker holding the case, or a peer navigator attached to it."""
    return can_work_on(user, referral) or is_attached_peer(user, referral)


def may_attach_peer(user, referral) -> bool:
    """The allocated link worker or a coordinator of the scheme attaches peer navigators."""
    return can_work_on(user, referral) or (
        user.role == Role.COORDINATOR
        and user.organisation_id is not None
        and user.organisation_id == referral.scheme_id
    )


def peer_navigators_on(referral):
    return PeerNavigatorAssignment.objects.filter(referral=referral, active=True).select_related(
        "user"
    )


def peer_navigator_choices_for(referral):
    """Peer navigators of the case's scheme not already attached to it."""
    return (
        User.objects.filter(
            role=Role.PEER_NAVIGATOR, organisation_id=referral.scheme_id, is_active=True
        )
        .exclude(peer_assignments__referral=referral, peer_assignments__active=True)
        .order_by("last_name", "first_name", "pk")
    )


def peer_case_list_for(user):
    return (
        peer_cases_for(user)
        .open()
        .select_related("person", "link_worker")
        .order_by("received_at", "pk")
    )


CONNECTION_RELATED = ("service", "service__provider", "created_by")


def connections_for_case(referral):
    """A case's connections, newest first, with their service (for the case workspace)."""
    return Connection.objects.filter(referral=referral).select_related(*CONNECTION_RELATED)


def unmet_needs_for_case(referral):
    return UnmetNeed.objects.filter(referral=referral).select_related("category", "recorded_by")


def connection_events_for_case(referral):
    """The timeline rows about this case's connections (their history on the tab)."""
    return ReferralEvent.objects.filter(
        referral=referral, kind=ReferralEvent.Kind.CONNECTION
    ).select_related("actor")


def connections_for_provider(user):
    """Connections sent to the services `user`'s organisation keeps; none for anyone else.

    Only referred-or-later connections: a proposal is the link worker's idea
    until they refer, and the provider has no business seeing it.
    """
    if not (
        user.is_authenticated and user.role == Role.PROVIDER and user.organisation_id is not None
    ):
        return Connection.objects.none()
    return (
        Connection.objects.filter(service__provider__organisation_id=user.organisation_id)
        .exclude(status=ConnectionStatus.PROPOSED)
        .select_related("service", "service__provider", "referral", "referral__person")
        .order_by("-referred_at", "-pk")
    )


def get_connection_for_provider(user, connection_uuid):
    """One connection on the provider side, or 404 alike for "not there" and "not yours"."""
    try:
        return connections_for_provider(user).get(uuid=connection_uuid)
    except (Connection.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_case_connection(referral, connection_uuid):
    """A connection of this case (already reached through get_case_for), or 404."""
    try:
        return connections_for_case(referral).get(uuid=connection_uuid)
    except (Connection.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def connections_for_prescription(referral):
    """Where the person goes: referred, accepted and attending connections, with schedules."""
    return (
        connections_for_case(referral)
        .filter(
            status__in=(
                ConnectionStatus.REFERRED,
                ConnectionStatus.ACCEPTED,
                ConnectionStatus.ATTENDING,
            )
        )
        .prefetch_related(
            "service__schedules",
            Prefetch(
                "service__at_locations",
                queryset=ServiceAtLocation.objects.select_related("location").order_by("pk"),
            ),
        )
        .order_by("proposed_at", "pk")
    )


def service_referral_stats(service_id, *, now=None) -> tuple[int | None, Decimal | None]:
    """Usual reply time (median days from referred to answered) and share accepted, last 12 months.

    Answers the provider gave count; automatic declines for no response count
    as declines (the person was not taken on) but have no reply time.
    """
    now = now or timezone.now()
    answered = Connection.objects.filter(
        service_id=service_id,
        answered_at__isnull=False,
        referred_at__gte=now - timedelta(days=365),
    ).values_list("referred_at", "answered_at", "status", "decline_reason")
    days, accepted, total = [], 0, 0
    for referred_at, answered_at, status, reason in answered:
        total += 1
        if status != ConnectionStatus.DECLINED:
            accepted += 1
        if reason != DeclineReason.NO_RESPONSE:
            days.append((answered_at - referred_at).days)
    if not total:
        return None, None
    usual = int(median(days)) if days else None
    return usual, (Decimal(accepted) / Decimal(total)).quantize(Decimal("0.001"))


def prescription_for(referral) -> dict:
    """What the printable social prescription shows: the plan agreed, and where to go."""
    return {
        "goals": [goal for goal in goals_for(referral) if goal.status in OPEN_GOAL_STATUSES],
        "connections": list(connections_for_prescription(referral)),
    }


def prescription_text(*, referral, prescription: dict) -> str:
    """The plain-text prescription (the email's text part), to copy into a text message.

    It is plain text, rendered with autoescape off as an email must be, and yet
    marked safe by Django's template renderer: a page shows it with `force_escape`
    (a name such as `</textarea><script>` would otherwise break out), and never
    includes the template into its HTML.
    """
    context = {"referral": referral, "person": referral.person, **prescription}
    return render_to_string("linkworkers/email/prescription.txt", context)


def connected_to_text(referral) -> str:
    """The closure summary's "what they were connected to", drafted from the connections."""
    taken_up = connections_for_case(referral).filter(
        status__in=(
            ConnectionStatus.ACCEPTED,
            ConnectionStatus.ATTENDING,
            ConnectionStatus.COMPLETED,
        )
    )
    return "; ".join(
        f"{connection.service.display_name} ({connection.get_status_display().lower()})"
        for connection in taken_up.order_by("proposed_at", "pk")
    )


def case_in_sight_of(user, referral) -> bool:
    """Whether `user` may see this case at all (a refusal on it is then a reason, not a 404)."""
    return (
        cases_visible_to(user).filter(pk=referral.pk).exists()
        or peer_cases_for(user).filter(pk=referral.pk).exists()
    )


def connection_in_sight_of(user, connection) -> bool:
    """Whether `user` may see this connection: on a case they see, or sent to their services."""
    return (
        case_in_sight_of(user, connection.referral)
        or connections_for_provider(user).filter(pk=connection.pk).exists()
    )
