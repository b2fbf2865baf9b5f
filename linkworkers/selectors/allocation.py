"""The link workers a coordinator can give a case to, best fit first."""

from dataclasses import dataclass

from django.db.models import Count, Q

from accounts.selectors import area_and_ancestors
from referrals.models import OPEN_STATUSES

from ..models import (
    LinkWorker,
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
