"""Who may see and work on a case; the caseload and what is due on it."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.selectors import bank_holidays
from referrals.models import Referral, Status
from referrals.selectors import get_referral_for, referrals_visible_to

from ..models import (
    OPEN_GOAL_STATUSES,
    Connection,
    ConnectionStatus,
    Contact,
    ContactOutcome,
    Goal,
    WhatMatters,
)
from .outcomes import outcome_reviews_due_on

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


def age_on(date_of_birth: date | None, today: date) -> int | None:
    """Whole years on `today`; None when the date of birth is not kept (an erased person)."""
    if date_of_birth is None:
        return None
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
    failed: list[Contact] = []
    for contact in sorted(contacts, key=lambda c: (c.happened_at, c.pk or 0)):
        failed = [] if contact.outcome == ContactOutcome.REACHED else [*failed, contact]
    if not failed or len(failed) < settings.UNABLE_TO_CONTACT_ATTEMPTS:
        return False
    first = timezone.localdate(failed[0].happened_at)
    last = timezone.localdate(failed[-1].happened_at)
    return (last - first).days >= settings.UNABLE_TO_CONTACT_MIN_DAYS


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


def _due_items(
    referral, today: date, outcome_due_on: date | None, holidays: frozenset[date]
) -> list[DueItem]:
    dates: list[tuple[str, date]] = []
    if referral.status == Status.ALLOCATED:
        allocated = timezone.localdate(referral.allocated_at or referral.received_at)
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
        answer_due = timezone.localdate(
            referral.connection_referred_at + CONNECTION_ANSWER_DUE_AFTER
        )
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
