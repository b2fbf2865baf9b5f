"""A link worker's diary: the week's dates on their own cases, and the feed's owner.

The dates are the caseload's (`caseload_for`): each open case's first contact
due, the contact planned at the last contact, the end of a hold, the earliest
open goal's target date, the outcome measure due and the oldest referral to a
service still awaiting the provider's answer. So the diary and the caseload
never disagree, and the diary takes the caseload's few queries whatever the
number of cases.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.services import token_hash
from referrals.models import Referral

from ..models import DiaryFeedToken
from .cases import caseload_for

# What each date means in the diary and the feed (the feed shows this and a reference, no name).
DIARY_LABELS = {
    "first_contact": _("First contact due"),
    "follow_up": _("Contact planned"),
    "review": _("Back from hold"),
    "goal": _("Goal target date"),
    "outcome": _("Outcome measure due"),
    "connection": _("Provider's answer due"),
}
# The weeks a diary can be opened at, either side of today: enough for anyone's planning.
DIARY_YEARS = 5


@dataclass(frozen=True)
class DiaryEntry:
    kind: str
    on: date
    referral: Referral
    overdue: bool

    @property
    def label(self) -> str:
        return str(DIARY_LABELS[self.kind])


@dataclass
class DiaryDay:
    on: date
    is_today: bool
    entries: list[DiaryEntry] = field(default_factory=list)


@dataclass
class Diary:
    worker: User
    week_start: date
    days: list[DiaryDay]
    # Still outstanding from before this week (shown on the week that holds today).
    earlier: list[DiaryEntry]

    @property
    def previous_week(self) -> date:
        return self.week_start - timedelta(days=7)

    @property
    def next_week(self) -> date:
        return self.week_start + timedelta(days=7)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def referrals(self) -> list[Referral]:
        """Every case the page names, once each: what its audit row lists."""
        shown = [entry.referral for day in self.days for entry in day.entries]
        shown += [entry.referral for entry in self.earlier]
        return list({referral.pk: referral for referral in shown}.values())


def week_start_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def diary_bounds(today: date) -> tuple[date, date]:
    """The first and last days a diary week may start on."""
    years = timedelta(days=365 * DIARY_YEARS)
    return week_start_of(today - years), week_start_of(today + years)


def diary_workers_for(viewer: User):
    """Whose diary `viewer` may open: their own; their scheme's link workers for a coordinator."""
    if not (viewer.is_authenticated and viewer.is_active and viewer.organisation_id):
        return User.objects.none()
    if viewer.role == Role.LINK_WORKER:
        return User.objects.filter(pk=viewer.pk)
    if viewer.role == Role.COORDINATOR:
        return User.objects.filter(
            role=Role.LINK_WORKER, organisation_id=viewer.organisation_id
        ).order_by("last_name", "first_name", "pk")
    return User.objects.none()


def diary_owner_for(viewer: User, worker_uuid: str | UUID | None) -> User | None:
    """Whose diary `viewer` opens: a link worker their own; a coordinator the one they chose.

    None for a coordinator who has not chosen yet. 404 alike for a link worker
    of another scheme, one who is not there, and any role with no diary.
    """
    workers = diary_workers_for(viewer)
    if viewer.is_authenticated and viewer.role == Role.COORDINATOR and not worker_uuid:
        return None
    if viewer.is_authenticated and viewer.role == Role.LINK_WORKER and not worker_uuid:
        return viewer
    try:
        return workers.get(uuid=worker_uuid)
    except (User.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404 from None


def _entries(viewer: User, worker: User, today: date) -> list[DiaryEntry]:
    caseload = caseload_for(viewer, link_worker=worker, today=today)
    return [
        DiaryEntry(kind=item.kind, on=item.on, referral=row.referral, overdue=item.overdue)
        for row in caseload.rows
        for item in row.due
    ]


def diary_for(viewer: User, worker: User, *, week_start: date, today: date) -> Diary:
    """The week from `week_start` (a Monday) of `worker`'s diary, as `viewer` may see it."""
    entries = _entries(viewer, worker, today)
    days = [DiaryDay(on=week_start + timedelta(days=offset), is_today=False) for offset in range(7)]
    for day in days:
        day.is_today = day.on == today
        day.entries = sorted(
            (entry for entry in entries if entry.on == day.on),
            key=lambda entry: (entry.kind != "first_contact", entry.referral.reference),
        )
    holds_today = week_start <= today <= week_start + timedelta(days=6)
    earlier = sorted(
        (entry for entry in entries if entry.on < week_start),
        key=lambda entry: (entry.on, entry.referral.reference),
    ) if holds_today else []  # fmt: skip
    return Diary(worker=worker, week_start=week_start, days=days, earlier=earlier)


def diary_feed_entries(worker: User, *, today: date) -> list[DiaryEntry]:
    """Every outstanding date on the link worker's own open cases, for their feed."""
    return sorted(_entries(worker, worker, today), key=lambda e: (e.on, e.kind, e.referral.pk))


def diary_feed_owner(token: str) -> User | None:
    """The active link worker whose feed this secret opens, or None."""
    if not token or len(token) > 200:
        return None
    found = (
        DiaryFeedToken.objects.select_related("user")
        .filter(token_hash=token_hash(token), user__is_active=True, user__role=Role.LINK_WORKER)
        .first()
    )
    return found.user if found else None


def diary_feed_token_for(user: User) -> DiaryFeedToken | None:
    return DiaryFeedToken.objects.filter(user=user).first()
