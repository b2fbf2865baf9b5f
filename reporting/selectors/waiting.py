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
    months_in,
    number_text,
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
    open_cases: int, capacity: int, allocated: int, per_year: Decimal | None, suppress: bool
) -> list[Any]:
    """[share of capacity, allocated, allocated at a yearly rate]: the share and the rate from
    the counts as this reader sees them, withheld when a count is hidden (else "<5" and a
    share of a known capacity would give the hidden count back)."""
    shown_open = published_count(open_cases, suppress)
    shown_allocated = published_count(allocated, suppress)
    return [
        None if shown_open is SUPPRESSED else share(shown_open, capacity),
        allocated,
        None
        if shown_allocated is SUPPRESSED or per_year is None
        else (Decimal(shown_allocated) * per_year).quantize(Decimal("0.1")),
    ]


def caseload_table(scope: Scope, filters: Filters, suppress: bool) -> Table:
    """Managers: one row per link worker. Commissioners: one row per scheme (no staff names)."""
    allocated: Counter[tuple[int, int]] = Counter()
    for row in (
        in_period(LinkWorkerCube, scope, filters, month_field="allocated_month")
        .values("link_worker_id", "scheme_id")
        .annotate(**tallied("referrals"))
    ):
        allocated[(row["link_worker_id"], row["scheme_id"])] += tally_of(row, "referrals")
    loads = LinkWorkerLoad.objects.filter(active=True)
    if scope.kind == "scheme":
        assert scope.scheme is not None  # a scheme scope always names its scheme
        loads = loads.filter(scheme_id=scope.scheme.pk)
    else:
        schemes_seen = {scheme_id for _lw, scheme_id in allocated}
        if filters.scheme is not None:
            schemes_seen &= {filters.scheme.pk}
        loads = loads.filter(scheme_id__in=schemes_seen)
    load_rows: list[tuple[int, int, Tally, int]] = [
        (link_worker_id, scheme_id, Tally(open_cases, key), capacity)
        for link_worker_id, scheme_id, open_cases, key, capacity in loads.values_list(
            "link_worker_id", "scheme_id", "open_cases", "open_cases_key", "capacity"
        )
    ]
    per_year = Decimal(12) / months_in(filters)
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
        for link_worker_id, _scheme_id, open_cases, capacity in sorted(
            load_rows, key=lambda row: names.get(row[0], "")
        ):
            n = sum(v for (lw, _s), v in allocated.items() if lw == link_worker_id)
            rows.append(
                [names.get(link_worker_id, "?"), open_cases, capacity]
                + _rates(open_cases, capacity, n, per_year, suppress)
            )
        first = Column("link_worker", _("Link worker"), "text")
        per_year_column = Column("per_year", _("Referrals per year (at this rate)"), "number")
    else:
        # link workers, open, capacity, allocated
        schemes: defaultdict[int, list[Any]] = defaultdict(lambda: [0, 0, 0, 0])
        for _link_worker_id, scheme_id, open_cases, capacity in load_rows:
            schemes[scheme_id][0] += 1
            schemes[scheme_id][1] += open_cases
            schemes[scheme_id][2] += capacity
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
                + _rates(open_cases, capacity, n, per_year / workers if workers else None, suppress)
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
                "Open cases are counted now, whatever the period; allocations are counted by "
                "the month of allocation and scaled to a year."
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
