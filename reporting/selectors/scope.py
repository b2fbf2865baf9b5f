"""Who may count what (a scheme or an area and beneath it), and the dashboard's filters."""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Area, Organisation, Role, User
from accounts.selectors import area_with_descendants_ids

from ..models import (
    RollupRun,
)

REPORTING_ROLES = (Role.COORDINATOR, Role.COMMISSIONER)


@dataclass
class Scope:
    """What a reader may count: one scheme (managers) or an area and all beneath it."""

    kind: str  # "scheme" or "area"
    scheme: Organisation | None = None
    area: Area | None = None
    area_ids: set[int] = field(default_factory=set)
    exact: bool = False  # whether counts of 1 to 4 may be shown as they are

    @property
    def title(self) -> str:
        place = self.scheme if self.kind == "scheme" else self.area
        assert place is not None  # reporting_scope_for always sets the one its kind names
        return str(place.display_name)


def reporting_scope_for(user: User | AnonymousUser) -> Scope | None:
    """The reader's scope, or None when they have no dashboard (the page answers 403)."""
    if not user.is_authenticated:
        return None
    organisation = getattr(user, "organisation", None)
    if user.role == Role.COORDINATOR and organisation and organisation.kind == "scheme":
        return Scope(kind="scheme", scheme=organisation, area=organisation.area, exact=True)
    if user.role == Role.COMMISSIONER and organisation and organisation.area_id:
        return Scope(
            kind="area",
            area=organisation.area,
            area_ids=area_with_descendants_ids(organisation.area),
            exact=False,
        )
    return None


@dataclass
class Filters:
    """The dashboard's filters, already checked against the reader's scope."""

    start: date  # first day of the first month
    end: date  # first day of the last month (inclusive)
    area: Area | None = None
    # The areas counted: the chosen area and beneath it, else the reader's scope (empty: any).
    area_ids: set[int] = field(default_factory=set)
    scheme: Organisation | None = None
    source_kind: str = ""
    wait_target: int = 10  # working days
    # The day the figures are read: the current month is partial up to it, later weeks and
    # months have not happened, and rates per year count the days elapsed to it.
    today: date = field(default_factory=timezone.localdate)

    def described(self) -> list[tuple[str, str]]:
        """(label, value) pairs saying what was counted: on the page, in every export."""
        from referrals.models import SourceKind

        return [
            (_("From"), self.start.strftime("%Y-%m")),
            (_("To"), self.end.strftime("%Y-%m")),
            (_("Area"), self.area.display_name if self.area else _("All")),
            (_("Scheme"), self.scheme.display_name if self.scheme else _("All")),
            (
                _("Source"),
                str(SourceKind(self.source_kind).label) if self.source_kind else _("All"),
            ),
            (_("First contact target (working days)"), str(self.wait_target)),
        ]


def latest_runs() -> tuple[RollupRun | None, RollupRun | None]:
    """(the last finished run, the run under way or None): for "figures as at" and progress."""
    finished = RollupRun.objects.filter(state=RollupRun.State.DONE).order_by("-finished_at").first()
    in_flight = RollupRun.objects.filter(in_flight=True).first()
    return finished, in_flight


def recent_runs(*, limit: int = 20) -> list[RollupRun]:
    """The latest runs, newest first, those in flight among them (the `rollup_runs` command)."""
    return list(RollupRun.objects.order_by("-created_at", "-pk")[:limit])
