"""Waiting from referral to first contact, and link workers' caseloads."""

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation, User

from ..models import (
    LinkWorkerCube,
    LinkWorkerLoad,
    OpenCaseCount,
    WaitCube,
)
from ..tables import (
    SUPPRESSED,
    Chart,
    Column,
    Table,
    Tally,
    enough_for_a_mean,
    share,
)
from .common import (
    finish_table,
    in_period,
    number_text,
    per_year,
    published_count,
    published_rate,
    tallied,
    tally_of,
)
from .scope import Filters, Scope

WAIT_BANDS = [(0, 5), (6, 10), (11, 20), (21, 40), (41, 60), (61, None)]


def _quantile(histogram: Sequence[tuple[int, int]], fraction: float) -> int | None:
    """The nearest-rank quantile of a sorted (value, count) histogram: the smallest value with
    at least `fraction` of the counts at or below it."""
    total = sum(count for _value, count in histogram)
    if not total:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    return histogram[-1][0]


def _median(histogram: Sequence[tuple[int, int]]) -> Decimal | None:
    """The median of a sorted (value, count) histogram (the mean of the middle two when even)."""
    total = sum(count for _value, count in histogram)
    if not total:
        return None
    middle: list[int] = []
    for position in ((total + 1) // 2, total // 2 + 1):
        seen = 0
        for value, count in histogram:
            seen += count
            if seen >= position:
                middle.append(value)
                break
    return Decimal(sum(middle)) / 2 if total % 2 == 0 else Decimal(middle[0])


def waiting_figures(scope: Scope, filters: Filters) -> dict[str, Any]:
    """Days from received to first contact for the referrals contacted (exact counts, each a
    Tally: the dashboard publishes them)."""
    calendar: Counter[int] = Counter()
    working: Counter[int] = Counter()
    for days, working_days, n, key in in_period(WaitCube, scope, filters).values_list(
        "wait_days", "wait_working_days", "referrals", "referrals_key"
    ):
        calendar[days] += Tally(n, key)
        working[working_days] += Tally(n, key)
    histogram = sorted(calendar.items())
    contacted = sum(calendar.values(), Tally(0))
    within = sum((n for days, n in working.items() if days <= filters.wait_target), Tally(0))
    return {
        "contacted": contacted,
        "median": _median(histogram),
        "p90": _quantile(histogram, 0.9),
        "within": within,
        "histogram": histogram,
    }


def waiting_tables(scope: Scope, filters: Filters, suppress: bool) -> tuple[Table, Table]:
    figures = waiting_figures(scope, filters)
    contacted = figures["contacted"]
    # A median or percentile is a real person's wait: shown only over enough people, as
    # published (tables.SMALLEST_BASE), whatever the exact number.
    hidden = not enough_for_a_mean(contacted, suppress)
    summary = Table(
        key="waiting",
        title=_("Waiting time to first contact"),
        sentence="",
        columns=[Column("measure", _("Measure"), "text"), Column("value", _("Value"), "number")],
        rows=[
            [_("Referrals with a first contact"), published_count(contacted, suppress)],
            [_("Median wait (days)"), None if hidden else figures["median"]],
            [_("90th percentile wait (days)"), None if hidden else figures["p90"]],
            [
                _("Contacted within %(days)s working days (%%)") % {"days": filters.wait_target},
                published_rate(figures["within"], contacted, suppress),
            ],
        ],
        notes=[
            _(
                "Calendar days from the day a referral was received to the day of the first "
                "successful contact, for referrals received in the period that have had one. "
                "The target counts working days: Monday to Friday, less bank holidays."
            )
        ],
    )

    def summary_sentence(table: Table) -> str:
        if hidden:
            return _("Too few first contacts in this period to describe waiting times.")
        return _(
            "Half of the people contacted waited %(median)s days or less; nine in ten waited "
            "%(p90)s days or less."
        ) % {"median": number_text(figures["median"]), "p90": figures["p90"]}

    bands: list[list[Any]] = []
    for low, high in WAIT_BANDS:
        n = sum(
            count
            for days, count in figures["histogram"]
            if days >= low and (high is None or days <= high)
        )
        label = (
            _("%(low)s to %(high)s days") % {"low": low, "high": high}
            if high is not None
            else _("More than %(days)s days") % {"days": low - 1}
        )
        bands.append([label, n])
    distribution = Table(
        key="waiting_distribution",
        title=_("How long people waited for a first contact"),
        sentence="",
        columns=[Column("band", _("Wait"), "text"), Column("referrals", _("Referrals"))],
        rows=bands,
        total=[_("Total"), contacted],
        chart=Chart(type="bar", series=["referrals"]),
    )
    return (
        finish_table(summary, suppress, summary_sentence),
        finish_table(
            distribution,
            suppress,
            lambda table: _("How many of the people contacted waited how long, in calendar days."),
        ),
    )


def _rates(
    open_cases: int,
    capacity: int,
    allocated: int,
    filters: Filters,
    suppress: bool,
    per: int = 1,
) -> list[Any]:
    """[share of capacity, allocated, allocated per year (shared among `per` link workers)]:
    the share and the rate from the counts as this reader sees them, withheld when a count is
    hidden (else "<5" and a share of a known capacity would give the hidden count back)."""
    shown_open = published_count(open_cases, suppress)
    shown_allocated = published_count(allocated, suppress)
    return [
        None if shown_open is SUPPRESSED else share(shown_open, capacity),
        allocated,
        None if shown_allocated is SUPPRESSED else per_year(shown_allocated, filters, per=per),
    ]


def _open_cases(scope: Scope, filters: Filters) -> Counter[tuple[int, int]]:
    """Open cases now by (link worker, scheme), in the reader's scope and the filters, as
    Tallies (the referrals open: a person counts).

    The same scope and filters as every other table (`in_period` less the
    months): a manager's scheme, or a commissioner's areas and chosen area,
    scheme and source.
    """
    rows = OpenCaseCount.objects.order_by()
    if scope.kind == "scheme":
        assert scope.scheme is not None  # a scheme scope always names its scheme
        rows = rows.filter(scheme_id=scope.scheme.pk)
    elif filters.scheme is not None:
        rows = rows.filter(scheme_id=filters.scheme.pk)
    if filters.area_ids:
        rows = rows.filter(area_id__in=filters.area_ids)
    if filters.source_kind:
        rows = rows.filter(source_kind=filters.source_kind)
    found: Counter[tuple[int, int]] = Counter()
    for row in rows.values("link_worker_id", "scheme_id").annotate(**tallied("open_cases")):
        found[(row["link_worker_id"], row["scheme_id"])] += tally_of(row, "open_cases")
    return found


def caseload_table(scope: Scope, filters: Filters, suppress: bool) -> Table:
    """Managers: one row per link worker of the scheme, as the team page lists them.
    Commissioners: one row per scheme (no staff names), counting only the open cases
    from their areas and the filters."""
    allocated: Counter[tuple[int, int]] = Counter()
    for row in (
        in_period(LinkWorkerCube, scope, filters, month_field="allocated_month")
        .values("link_worker_id", "scheme_id")
        .annotate(**tallied("referrals"))
    ):
        allocated[(row["link_worker_id"], row["scheme_id"])] += tally_of(row, "referrals")
    open_now = _open_cases(scope, filters)
    loads = LinkWorkerLoad.objects.all()
    if scope.kind == "scheme":
        assert scope.scheme is not None  # a scheme scope always names its scheme
        loads = loads.filter(scheme_id=scope.scheme.pk)
    else:
        schemes_seen = {scheme_id for _lw, scheme_id in allocated} | {
            scheme_id for _lw, scheme_id in open_now
        }
        if filters.scheme is not None:
            schemes_seen &= {filters.scheme.pk}
        loads = loads.filter(scheme_id__in=schemes_seen)
    # (link worker, scheme, capacity, taking cases)
    load_rows: list[tuple[int, int, int, bool]] = list(
        loads.values_list("link_worker_id", "scheme_id", "capacity", "active")
    )
    columns_tail = [
        Column("open_cases", _("Open cases now")),
        Column("capacity", _("Capacity"), "number"),
        Column("share_of_capacity", _("Share of capacity (%)"), "rate"),
        Column("allocated", _("Referrals allocated in the period")),
    ]
    if scope.kind == "scheme":
        names = {
            user.pk: user.get_full_name() or user.username
            for user in User.objects.filter(
                pk__in=[row[0] for row in load_rows] + [k[0] for k in allocated]
            )
        }
        rows: list[list[Any]] = []
        for link_worker_id, scheme_id, capacity, active in sorted(
            load_rows, key=lambda row: names.get(row[0], "")
        ):
            open_cases = open_now[(link_worker_id, scheme_id)]
            n = sum(v for (lw, _s), v in allocated.items() if lw == link_worker_id)
            name = names.get(link_worker_id, "?")
            rows.append(
                [
                    # As the team page shows them: every link worker of the scheme.
                    name if active else _("%(name)s (not taking cases)") % {"name": name},
                    open_cases,
                    capacity,
                ]
                + _rates(open_cases, capacity, n, filters, suppress)
            )
        first = Column("link_worker", _("Link worker"), "text")
        per_year_column = Column("per_year", _("Referrals per year (at this rate)"), "number")
    else:
        # link workers taking cases, open, capacity, allocated
        schemes: defaultdict[int, list[Any]] = defaultdict(lambda: [0, 0, 0, 0])
        for _link_worker_id, scheme_id, capacity, active in load_rows:
            if active:
                schemes[scheme_id][0] += 1
                schemes[scheme_id][2] += capacity
        for (_lw, scheme_id), n in open_now.items():
            if scheme_id in schemes:
                schemes[scheme_id][1] += n
        for (_lw, scheme_id), n in allocated.items():
            if scheme_id in schemes:
                schemes[scheme_id][3] += n
        names = {o.pk: o.display_name for o in Organisation.objects.filter(pk__in=schemes)}
        rows = []
        for scheme_id, (workers, open_cases, capacity, n) in sorted(
            schemes.items(), key=lambda item: names.get(item[0], "")
        ):
            rows.append(
                [names.get(scheme_id, "?"), open_cases, capacity]
                + _rates(open_cases, capacity, n, filters, suppress, per=workers)
            )
        first = Column("scheme", _("Scheme"), "text")
        per_year_column = Column(
            "per_year", _("Referrals per link worker per year (at this rate)"), "number"
        )
    table = Table(
        key="caseload",
        title=_("Caseloads against capacity"),
        sentence="",
        columns=[first, *columns_tail, per_year_column],
        rows=rows,
        chart=Chart(type="bar", series=["open_cases", "capacity"]),
        notes=[
            _(
                "Open cases are counted as at the figures' time, whatever the period, for the "
                "areas, scheme and source chosen; allocations are counted by the month of "
                "allocation and scaled to a year by the days of the period that have passed."
            )
        ],
    )

    def sentence(table: Table) -> str:
        # Open cases as shown (a hidden count is never counted as over).
        over = sum(
            1 for row in table.rows if row[2] and isinstance(row[1], int) and row[1] > row[2]
        )
        if not rows:
            return _("No link workers to show.")
        return ngettext(
            "%(over)s of %(count)s is holding more cases than their capacity.",
            "%(over)s of %(count)s are holding more cases than their capacity.",
            over,
        ) % {"over": over, "count": len(rows)}

    return finish_table(table, suppress, sentence)
