"""Reads for the dashboards and exports: scoped to the reader, and only ever from the cubes.

`dashboard_tables` turns cube rows into `tables.Table`s. Counts are exact for
a scheme's own managers; for commissioners (and in every export) small
numbers are suppressed by `tables.suppress_counts`, and a share or mean
computed from a hidden count is withheld too.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Area, Organisation, Role, User, localised
from accounts.selectors import area_with_descendants_ids
from directory.models import Provider, TaxonomyTerm
from linkworkers.models import Instrument, Item
from referrals.models import EthnicGroup, Gender, Reason, SourceKind

from .models import (
    AgeBand,
    BreakdownCube,
    ConnectionCube,
    DeprivationQuintile,
    Dimension,
    LinkWorkerCube,
    LinkWorkerLoad,
    OutcomeCube,
    ReferralCube,
    RollupRun,
    UnmetNeedCube,
    WaitCube,
    WeeklyCube,
)
from .tables import (
    SUPPRESSED,
    Chart,
    Column,
    Table,
    is_small,
    publish_count,
    share,
    suppress_counts,
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
    def title(self):
        if self.kind == "scheme":
            return self.scheme.display_name
        return self.area.display_name


def reporting_scope_for(user) -> Scope | None:
    """The reader's scope, or None when they have no dashboard (the page answers 403)."""
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
                SourceKind(self.source_kind).label if self.source_kind else _("All"),
            ),
            (_("First contact target (working days)"), str(self.wait_target)),
        ]


def latest_runs():
    """(the last finished run, the run under way or None): for "figures as at" and progress."""
    finished = RollupRun.objects.filter(state=RollupRun.State.DONE).order_by("-finished_at").first()
    in_flight = RollupRun.objects.filter(in_flight=True).first()
    return finished, in_flight


# Building the tables -------------------------------------------------------


def _in_period(model, scope: Scope, filters: Filters, month_field: str = "month"):
    """Cube rows in the reader's scope and filters (a cell: month x scheme x area x source)."""
    rows = model.objects.filter(
        **{f"{month_field}__gte": filters.start, f"{month_field}__lte": filters.end}
    )
    if scope.kind == "scheme":
        rows = rows.filter(scheme_id=scope.scheme.pk)
    elif filters.scheme is not None:
        rows = rows.filter(scheme_id=filters.scheme.pk)
    if filters.area_ids:
        rows = rows.filter(area_id__in=filters.area_ids)
    if filters.source_kind:
        rows = rows.filter(source_kind=filters.source_kind)
    return rows.order_by()


def _months(filters: Filters) -> list[date]:
    months, month = [], filters.start
    while month <= filters.end:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _month_label(month: date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def _published(value, suppress: bool):
    """A count as this reader may see it (tables.publish_count)."""
    return publish_count(value, suppress)


def _rate(part, whole, suppress: bool):
    """A share of published counts: withheld when either is hidden (<5)."""
    part, whole = publish_count(part, suppress), publish_count(whole, suppress)
    if part is SUPPRESSED or whole is SUPPRESSED:
        return None
    return share(part, whole)


def _period_words(filters: Filters) -> str:
    return _("%(start)s to %(end)s") % {
        "start": _month_label(filters.start),
        "end": _month_label(filters.end),
    }


def _shown(value) -> str:
    return str(value) if value is not None else "–"


def _finish(table: Table, suppress: bool, sentence) -> Table:
    """Publish the table for this reader, then say in words what it shows (from what is shown)."""
    if suppress:
        suppress_counts(table)
    table.sentence = sentence(table)
    return table


def _total_of(table: Table, key: str):
    return table.total[table.column_keys().index(key)] if table.total else None


def _referrals_by_month(scope, filters, suppress) -> Table:
    by_month = defaultdict(Counter)
    for month, source, n in (
        _in_period(ReferralCube, scope, filters)
        .values("month", "source_kind")
        .annotate(n=Sum("received"))
        .values_list("month", "source_kind", "n")
    ):
        by_month[month][source] += n
    sources = [
        kind for kind in SourceKind if not filters.source_kind or kind == filters.source_kind
    ]
    keys = [kind.value for kind in sources]
    columns = [Column("month", _("Month"), "text")]
    columns += [Column(kind.value, kind.label) for kind in sources]
    columns.append(Column("total", _("Total")))
    rows = []
    for month in _months(filters):
        counts = [by_month[month][key] for key in keys]
        rows.append([_month_label(month), *counts, sum(counts)])
    totals = [sum(row[1 + i] for row in rows) for i in range(len(keys))]
    table = Table(
        key="referrals_by_month",
        title=_("Referrals received by month and source"),
        sentence="",
        columns=columns,
        rows=rows,
        total=[_("Total"), *totals, sum(totals)],
        chart=Chart(type="bar", series=keys, stacked=True),
    )
    exact_totals = dict(zip(sources, totals, strict=True))

    def sentence(table):
        words = _("%(total)s referrals were received from %(period)s.") % {
            "total": _total_of(table, "total"),
            "period": _period_words(filters),
        }
        if len(sources) > 1 and sum(totals):
            biggest = max(sources, key=lambda kind: exact_totals[kind])
            words += " " + _("The largest source was %(source)s.") % {"source": biggest.label}
        return words

    return _finish(table, suppress, sentence)


def _referrals_by_week(scope, filters, suppress) -> Table:
    weeks = Counter(
        dict(
            _in_period(WeeklyCube, scope, filters)
            .values("week")
            .annotate(n=Sum("received"))
            .values_list("week", "n")
        )
    )
    first = filters.start - timedelta(days=filters.start.weekday())
    rows, week = [], first
    last_day = _months(filters)[-1]
    last_day = date(last_day.year + last_day.month // 12, last_day.month % 12 + 1, 1)
    while week < last_day:
        rows.append([date_format(week, "j M Y"), weeks[week]])
        week += timedelta(days=7)
    busiest = max(rows, key=lambda row: row[1]) if rows else None
    table = Table(
        key="referrals_by_week",
        title=_("Referrals received by week"),
        sentence="",
        columns=[Column("week", _("Week beginning"), "text"), Column("received", _("Referrals"))],
        rows=rows,
        chart=Chart(type="line", series=["received"]),
        notes=[_("Weeks begin on Monday; the first and last weeks may be part weeks.")],
    )

    def sentence(table):
        if not busiest or not busiest[1]:
            return _("No referrals were received in this period.")
        return _("The busiest week began on %(week)s.") % {"week": busiest[0]}

    return _finish(table, suppress, sentence)


def _referrals_by_year(scope, filters, suppress) -> Table:
    years = Counter()
    for month, n in (
        _in_period(ReferralCube, scope, filters)
        .values("month")
        .annotate(n=Sum("received"))
        .values_list("month", "n")
    ):
        years[month.year] += n
    rows = [[str(year), years[year]] for year in range(filters.start.year, filters.end.year + 1)]
    table = Table(
        key="referrals_by_year",
        title=_("Referrals received by calendar year"),
        sentence="",
        columns=[Column("year", _("Year"), "text"), Column("received", _("Referrals"))],
        rows=rows,
        notes=[_("Only the months in the chosen period are counted in each year.")],
    )
    return _finish(
        table,
        suppress,
        lambda table: (
            _("Referrals received in each calendar year of the period, %(period)s.")
            % {"period": _period_words(filters)}
        ),
    )


FUNNEL = [
    ("received", _("Received")),
    ("accepted", _("Accepted")),
    ("allocated", _("Allocated to a link worker")),
    ("first_contact", _("First contact made")),
    ("connected", _("Connected to a service")),
    ("completed", _("Closed as completed")),
]


def _funnel_counts(scope, filters) -> dict:
    fields = [key for key, _label in FUNNEL] + ["rejected", "cancelled", "closed"]
    totals = _in_period(ReferralCube, scope, filters).aggregate(**{key: Sum(key) for key in fields})
    return {key: totals[key] or 0 for key in fields}


def _funnel(scope, filters, suppress) -> Table:
    counts = _funnel_counts(scope, filters)
    rows, previous = [], None
    for key, label in FUNNEL:
        n = counts[key]
        rows.append(
            [
                str(label),
                _published(n, suppress),
                _rate(n, counts["received"], suppress),
                _rate(n, previous, suppress) if previous is not None else None,
            ]
        )
        previous = n
    table = Table(
        key="funnel",
        title=_("From referral to connection: the funnel"),
        sentence="",
        columns=[
            Column("stage", _("Stage"), "text"),
            Column("referrals", _("Referrals")),
            Column("share_of_received", _("Share of received (%)"), "rate"),
            Column("share_of_previous", _("Share of the stage before (%)"), "rate"),
        ],
        rows=rows,
        chart=Chart(type="bar", series=["referrals"], horizontal=True),
        notes=[
            _(
                "Of the referrals received in the period, how many reached each stage by now. "
                "Rejected: %(rejected)s. Cancelled by the referrer: %(cancelled)s."
            )
            % {
                "rejected": _published(counts["rejected"], suppress),
                "cancelled": _published(counts["cancelled"], suppress),
            }
        ],
    )

    def sentence(table):
        rate = _rate(counts["connected"], counts["received"], suppress)
        if rate is None:
            return _(
                "Too few referrals were connected to a service in this period to give a share."
            )
        return _("%(rate)s%% of the referrals received were connected to a community service.") % {
            "rate": rate
        }

    return _finish(table, suppress, sentence)


WAIT_BANDS = [(0, 5), (6, 10), (11, 20), (21, 40), (41, 60), (61, None)]


def _quantile(histogram: list[tuple[int, int]], fraction: float):
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


def _median(histogram: list[tuple[int, int]]):
    """The median of a sorted (value, count) histogram (the mean of the middle two when even)."""
    total = sum(count for _value, count in histogram)
    if not total:
        return None
    middle = []
    for position in ((total + 1) // 2, total // 2 + 1):
        seen = 0
        for value, count in histogram:
            seen += count
            if seen >= position:
                middle.append(value)
                break
    return Decimal(sum(middle)) / 2 if total % 2 == 0 else Decimal(middle[0])


def waiting_figures(scope, filters) -> dict:
    """Days from received to first contact for the referrals contacted (exact counts)."""
    calendar, working = Counter(), Counter()
    for days, working_days, n in _in_period(WaitCube, scope, filters).values_list(
        "wait_days", "wait_working_days", "referrals"
    ):
        calendar[days] += n
        working[working_days] += n
    histogram = sorted(calendar.items())
    contacted = sum(calendar.values())
    within = sum(n for days, n in working.items() if days <= filters.wait_target)
    return {
        "contacted": contacted,
        "median": _median(histogram),
        "p90": _quantile(histogram, 0.9),
        "within": within,
        "histogram": histogram,
    }


def _waiting(scope, filters, suppress) -> tuple[Table, Table]:
    figures = waiting_figures(scope, filters)
    contacted = figures["contacted"]
    hidden = suppress and is_small(contacted)
    summary = Table(
        key="waiting",
        title=_("Waiting time to first contact"),
        sentence="",
        columns=[Column("measure", _("Measure"), "text"), Column("value", _("Value"), "number")],
        rows=[
            [_("Referrals with a first contact"), _published(contacted, suppress)],
            [_("Median wait (days)"), None if hidden else figures["median"]],
            [_("90th percentile wait (days)"), None if hidden else figures["p90"]],
            [
                _("Contacted within %(days)s working days (%%)") % {"days": filters.wait_target},
                _rate(figures["within"], contacted, suppress),
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

    def summary_sentence(table):
        if hidden or not contacted:
            return _("Too few first contacts in this period to describe waiting times.")
        return _(
            "Half of the people contacted waited %(median)s days or less; nine in ten waited "
            "%(p90)s days or less."
        ) % {"median": _number(figures["median"]), "p90": figures["p90"]}

    bands = []
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
        _finish(summary, suppress, summary_sentence),
        _finish(
            distribution,
            suppress,
            lambda table: _("How many of the people contacted waited how long, in calendar days."),
        ),
    )


def _number(value) -> str:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else f"{value:.1f}"
    return str(value)


def _months_in(filters: Filters) -> int:
    return len(_months(filters))


def _caseload(scope, filters, suppress) -> Table:
    """Managers: one row per link worker. Commissioners: one row per scheme (no staff names)."""
    allocated = Counter()
    for link_worker_id, scheme_id, n in (
        _in_period(LinkWorkerCube, scope, filters, month_field="allocated_month")
        .values("link_worker_id", "scheme_id")
        .annotate(n=Sum("referrals"))
        .values_list("link_worker_id", "scheme_id", "n")
    ):
        allocated[(link_worker_id, scheme_id)] += n
    loads = LinkWorkerLoad.objects.filter(active=True)
    if scope.kind == "scheme":
        loads = loads.filter(scheme_id=scope.scheme.pk)
    else:
        schemes_seen = {scheme_id for _lw, scheme_id in allocated}
        if filters.scheme is not None:
            schemes_seen &= {filters.scheme.pk}
        loads = loads.filter(scheme_id__in=schemes_seen)
    loads = list(loads.values_list("link_worker_id", "scheme_id", "open_cases", "capacity"))
    per_year = Decimal(12) / _months_in(filters)
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
                pk__in=[row[0] for row in loads] + [k[0] for k in allocated]
            )
        }
        rows = []
        for link_worker_id, _scheme_id, open_cases, capacity in sorted(
            loads, key=lambda row: names.get(row[0], "")
        ):
            n = sum(v for (lw, _s), v in allocated.items() if lw == link_worker_id)
            rows.append(
                [
                    names.get(link_worker_id, "?"),
                    open_cases,
                    capacity,
                    share(open_cases, capacity),
                    n,
                    (n * per_year).quantize(Decimal("0.1")),
                ]
            )
        first = Column("link_worker", _("Link worker"), "text")
        per_year_column = Column("per_year", _("Referrals per year (at this rate)"), "number")
    else:
        schemes = defaultdict(lambda: [0, 0, 0, 0])  # link workers, open, capacity, allocated
        for _link_worker_id, scheme_id, open_cases, capacity in loads:
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
            shown_open, shown_n = _published(open_cases, suppress), _published(n, suppress)
            rows.append(
                [
                    names.get(scheme_id, "?"),
                    open_cases,
                    capacity,
                    None if shown_open is SUPPRESSED else share(shown_open, capacity),
                    n,
                    (Decimal(shown_n) * per_year / workers).quantize(Decimal("0.1"))
                    if workers and shown_n is not SUPPRESSED
                    else None,
                ]
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

    def sentence(table):
        over = sum(1 for row in rows if row[2] and isinstance(row[1], int) and row[1] > row[2])
        if not rows:
            return _("No link workers to show.")
        return ngettext(
            "%(over)s of %(count)s is holding more cases than their capacity.",
            "%(over)s of %(count)s are holding more cases than their capacity.",
            over,
        ) % {"over": over, "count": len(rows)}

    return _finish(table, suppress, sentence)


def _breakdown_label(dimension: str, value: str) -> str:
    choices = {
        Dimension.REASON: Reason,
        Dimension.AGE_BAND: AgeBand,
        Dimension.GENDER: Gender,
        Dimension.ETHNIC_GROUP: EthnicGroup,
        Dimension.DEPRIVATION: DeprivationQuintile,
    }[dimension]
    try:
        return str(choices(value).label)
    except ValueError:
        return value


BREAKDOWNS = [
    (Dimension.REASON, "reasons", _("Reasons for referral")),
    (Dimension.AGE_BAND, "age_bands", _("Referrals by age band")),
    (Dimension.GENDER, "gender", _("Referrals by gender")),
    (Dimension.ETHNIC_GROUP, "ethnic_groups", _("Referrals by ethnic group")),
    (Dimension.DEPRIVATION, "deprivation", _("Referrals by deprivation quintile")),
]


def _breakdowns(scope, filters, suppress, received: int) -> list[Table]:
    counts = defaultdict(Counter)
    for dimension, value, n in (
        _in_period(BreakdownCube, scope, filters)
        .values("dimension", "value")
        .annotate(n=Sum("received"))
        .values_list("dimension", "value", "n")
    ):
        counts[dimension][value] = n
    tables = []
    for dimension, key, title in BREAKDOWNS:
        values = {
            Dimension.REASON: Reason.values,
            Dimension.AGE_BAND: AgeBand.values,
            Dimension.GENDER: Gender.values,
            Dimension.ETHNIC_GROUP: EthnicGroup.values,
            Dimension.DEPRIVATION: DeprivationQuintile.values,
        }[dimension]
        extra = [value for value in counts[dimension] if value not in values]
        rows = [
            [
                _breakdown_label(dimension, value),
                counts[dimension][value],
                _rate(counts[dimension][value], received, suppress),
            ]
            for value in [*values, *extra]
        ]
        notes = []
        if dimension == Dimension.REASON:
            notes.append(_("A referral may give several reasons and is counted under each."))
            total = None
        else:
            total = [_("Total"), sum(row[1] for row in rows), None]
        if dimension == Dimension.AGE_BAND:
            notes.append(_("Age on the day the referral was received."))
        if dimension == Dimension.DEPRIVATION:
            notes.append(
                _(
                    "From the person's postcode and the index of multiple deprivation where "
                    "postcode reference data with deprivation is loaded (import_onspd); "
                    "1 is the most deprived fifth of areas."
                )
            )
        table = Table(
            key=key,
            title=str(title),
            sentence="",
            columns=[
                Column("value", _breakdown_dimension_label(dimension), "text"),
                Column("referrals", _("Referrals")),
                Column("share", _("Share of referrals (%)"), "rate"),
            ],
            rows=rows,
            total=total,
            chart=Chart(type="bar", series=["referrals"], horizontal=True),
            notes=notes,
        )
        top = max(rows, key=lambda row: row[1]) if rows and received else None
        known = sum(
            row[1] for row, value in zip(rows, [*values, *extra], strict=True) if value != "unknown"
        )

        def sentence(table, top=top, dimension=dimension, known=known):
            if top is None or not top[1]:
                return _("No referrals were received in this period.")
            if dimension == Dimension.DEPRIVATION and not known:
                return _(
                    "Deprivation is not known for these referrals: no postcode data with "
                    "deprivation has been loaded."
                )
            return {
                Dimension.REASON: _("The reason given most often was %(value)s."),
                Dimension.AGE_BAND: _("The age band with most referrals was %(value)s."),
                Dimension.GENDER: _("The gender recorded most often was %(value)s."),
                Dimension.ETHNIC_GROUP: _("The ethnic group recorded most often was %(value)s."),
                Dimension.DEPRIVATION: _(
                    "The deprivation quintile with most referrals was %(value)s."
                ),
            }[dimension] % {"value": top[0]}

        tables.append(_finish(table, suppress, sentence))
    return tables


def _breakdown_dimension_label(dimension) -> str:
    return str(Dimension(dimension).label)


PROVIDER_ROWS = 25  # the busiest providers on the page; the rest share one row


def _connections(scope, filters, suppress) -> tuple[Table, Table]:
    measures = ["connections", "referred", "accepted", "declined", "attended", "completed"]
    columns_tail = [
        Column("connections", _("Connections made")),
        Column("accepted", _("Accepted by the provider")),
        Column("declined", _("Declined by the provider")),
        Column("attended", _("Attended")),
        Column("completed", _("Completed")),
    ]
    rows_by = {}
    for group in ("category_id", "provider_id"):
        rows_by[group] = list(
            _in_period(ConnectionCube, scope, filters)
            .values(group)
            .annotate(**{m: Sum(m) for m in measures})
            .values_list(group, *measures)
        )
    categories = {
        term.pk: term.display_name
        for term in TaxonomyTerm.objects.filter(
            pk__in=[r[0] for r in rows_by["category_id"] if r[0]]
        )
    }
    # Names only for the providers that can make the page: the busiest PROVIDER_ROWS and
    # any tied with the last of them (ties are ordered by name).
    by_count = sorted((row[1] for row in rows_by["provider_id"]), reverse=True)
    least = by_count[PROVIDER_ROWS - 1] if len(by_count) > PROVIDER_ROWS else 0
    providers = {
        p.pk: p.display_name
        for p in Provider.objects.filter(
            pk__in=[row[0] for row in rows_by["provider_id"] if row[1] >= least]
        )
    }

    def build(rows, names, limit=None):
        body = sorted(
            (
                [names.get(key, _("Not categorised")), *values[:1], *values[2:]]
                for key, *values in rows
            ),
            key=lambda row: (-row[1], row[0]),
        )
        if limit and len(body) > limit:
            rest = body[limit:]
            body = body[:limit] + [
                [_("All other providers (%(count)s)") % {"count": len(rest)}]
                + [sum(row[i] for row in rest) for i in range(1, 6)]
            ]
        return body

    category_rows = build(rows_by["category_id"], categories)
    totals = [_("Total")] + [sum(row[i] for row in category_rows) for i in range(1, 6)]
    by_category = Table(
        key="connections_by_category",
        title=_("Connections to community services by category"),
        sentence="",
        columns=[Column("category", _("Category"), "text"), *columns_tail],
        rows=category_rows,
        total=totals,
        chart=Chart(type="bar", series=["connections", "attended"]),
        notes=[
            _(
                "Connections made for referrals received in the period, under the main "
                "category of the service. Attended: the person started going."
            )
        ],
    )
    provider_rows = build(rows_by["provider_id"], providers, PROVIDER_ROWS)
    by_provider = Table(
        key="connections_by_provider",
        title=_("Connections to community services by provider"),
        sentence="",
        columns=[Column("provider", _("Provider"), "text"), *columns_tail],
        rows=provider_rows,
        total=list(totals),
        chart=Chart(type="bar", series=["connections", "attended"], horizontal=True),
    )
    exact = totals

    def category_sentence(table):
        if not exact[1]:
            return _("No connections were made for referrals received in this period.")
        return _("%(attended)s of %(made)s connections led to the person attending.") % {
            "attended": _total_of(table, "attended"),
            "made": _total_of(table, "connections"),
        }

    return (
        _finish(by_category, suppress, category_sentence),
        _finish(
            by_provider,
            suppress,
            lambda table: _("Which providers took the connections, busiest first."),
        ),
    )


def _unmet_needs(scope, filters, suppress) -> tuple[Table, Table]:
    by_category = Counter()
    by_area = Counter()
    for category_id, area_id, n in (
        _in_period(UnmetNeedCube, scope, filters)
        .values("category_id", "area_id")
        .annotate(n=Sum("needs"))
        .values_list("category_id", "area_id", "n")
    ):
        by_category[category_id] += n
        by_area[area_id] += n
    categories = {t.pk: t.display_name for t in TaxonomyTerm.objects.filter(pk__in=by_category)}
    areas = {a.pk: a.display_name for a in Area.objects.filter(pk__in=by_area)}
    total = sum(by_category.values())
    category_table = Table(
        key="unmet_needs",
        title=_("Unmet needs by category"),
        sentence="",
        columns=[Column("category", _("Category"), "text"), Column("needs", _("Unmet needs"))],
        rows=sorted(
            ([categories.get(k, _("Not categorised")), n] for k, n in by_category.items()),
            key=lambda row: (-row[1], row[0]),
        ),
        total=[_("Total"), total],
        chart=Chart(type="bar", series=["needs"], horizontal=True),
        notes=[_("Needs a link worker recorded because no suitable service could be found.")],
    )
    area_table = Table(
        key="unmet_needs_by_area",
        title=_("Unmet needs by area"),
        sentence="",
        columns=[Column("area", _("Area"), "text"), Column("needs", _("Unmet needs"))],
        rows=sorted(
            ([areas.get(k, _("Not known")), n] for k, n in by_area.items()),
            key=lambda row: (-row[1], row[0]),
        ),
        total=[_("Total"), total],
        chart=Chart(type="bar", series=["needs"], horizontal=True),
    )
    top = category_table.rows[0][0] if category_table.rows else None

    def sentence(table):
        if not total:
            return _("No unmet needs were recorded for referrals received in this period.")
        return _("The most often unmet need was %(category)s.") % {"category": top}

    return (
        _finish(category_table, suppress, sentence),
        _finish(
            area_table,
            suppress,
            lambda table: _("Where the unmet needs were, by the area the referral came from."),
        ),
    )


def _outcomes(scope, filters, suppress) -> Table:
    sums = list(
        _in_period(OutcomeCube, scope, filters)
        .values("instrument_id", "item_id")
        .annotate(
            pairs=Sum("pairs"),
            improved=Sum("improved"),
            worsened=Sum("worsened"),
            change=Sum("change_sum"),
        )
        .values_list("instrument_id", "item_id", "pairs", "improved", "worsened", "change")
    )
    instruments = Instrument.objects.in_bulk({row[0] for row in sums})
    items = Item.objects.in_bulk({row[1] for row in sums if row[1]})
    rows = []
    for instrument_id, item_id, pairs, improved, worsened, change in sorted(
        sums,
        key=lambda row: (
            instruments[row[0]].display_name if row[0] in instruments else "",
            items[row[1]].order if row[1] in items else 0,
        ),
    ):
        instrument = instruments.get(instrument_id)
        name = instrument.display_name if instrument else "?"
        if item_id:
            item = items.get(item_id)
            name = f"{name}: {localised(item, 'label') if item else '?'}"
        hidden = suppress and is_small(pairs)
        mean = None if hidden or not pairs else (Decimal(change) / pairs).quantize(Decimal("0.01"))
        rows.append([name, pairs, improved, _rate(improved, pairs, suppress), worsened, mean])
    table = Table(
        key="outcomes",
        title=_("Wellbeing outcomes"),
        sentence="",
        columns=[
            Column("measure", _("Measure"), "text"),
            Column("pairs", _("People with a baseline and a follow-up")),
            Column("improved", _("Improved")),
            Column("share_improved", _("Share improved (%)"), "rate"),
            Column("worsened", _("Worse")),
            Column("mean_change", _("Mean change"), "number"),
        ],
        rows=rows,
        chart=Chart(type="bar", series=["share_improved"], horizontal=True),
        notes=[
            _(
                "Baseline against the closure measure, or the latest review where there is no "
                "closure one, for referrals received in the period. Improved means a change "
                "in the better direction of that measure (for anxiety and loneliness, lower is "
                "better); the mean change keeps its sign."
            )
        ],
    )

    def sentence(table):
        if not rows:
            return _("No one has a baseline and a follow-up measure yet for this period.")
        best = max(rows, key=lambda row: row[1])
        rate = _rate(best[2], best[1], suppress)
        if rate is None:
            return _("Too few people have a baseline and a follow-up to report outcomes.")
        return _("On %(measure)s, %(rate)s%% of %(pairs)s people improved.") % {
            "measure": best[0],
            "rate": rate,
            "pairs": _published(best[1], suppress),
        }

    return _finish(table, suppress, sentence)


def _referrals_by_area(scope, filters, suppress) -> Table:
    counts = Counter(
        dict(
            _in_period(ReferralCube, scope, filters)
            .values("area_id")
            .annotate(n=Sum("received"))
            .values_list("area_id", "n")
        )
    )
    areas = {a.pk: a.display_name for a in Area.objects.filter(pk__in=counts)}
    rows = sorted(
        ([areas.get(k, _("Not known")), n] for k, n in counts.items()),
        key=lambda row: (-row[1], row[0]),
    )
    table = Table(
        key="referrals_by_area",
        title=_("Referrals received by area"),
        sentence="",
        columns=[Column("area", _("Area"), "text"), Column("referrals", _("Referrals"))],
        rows=rows,
        total=[_("Total"), sum(counts.values())],
        chart=Chart(type="bar", series=["referrals"], horizontal=True),
        notes=[_("The area of the referring organisation; self-referrals count in the scheme's.")],
    )
    return _finish(
        table,
        suppress,
        lambda table: _("Where referrals came from, most first."),
    )


def _referrals_by_scheme(scope, filters, suppress) -> Table:
    counts = Counter(
        dict(
            _in_period(ReferralCube, scope, filters)
            .values("scheme_id")
            .annotate(n=Sum("received"))
            .values_list("scheme_id", "n")
        )
    )
    names = {o.pk: o.display_name for o in Organisation.objects.filter(pk__in=counts)}
    rows = sorted(
        ([names.get(k, "?"), n] for k, n in counts.items()), key=lambda row: (-row[1], row[0])
    )
    table = Table(
        key="referrals_by_scheme",
        title=_("Referrals received by scheme"),
        sentence="",
        columns=[Column("scheme", _("Scheme"), "text"), Column("referrals", _("Referrals"))],
        rows=rows,
        total=[_("Total"), sum(counts.values())],
        chart=Chart(type="bar", series=["referrals"], horizontal=True),
    )
    return _finish(
        table, suppress, lambda table: _("Which schemes received the referrals, most first.")
    )


def dashboard_tables(*, scope: Scope, filters: Filters, suppress: bool | None = None) -> list:
    """Every table on the dashboard, in page order, published for this reader.

    Counts are exact for a scheme's managers and suppressed for everyone else;
    `suppress=True` suppresses them whoever reads (exports always do).
    Reads only the cubes: a fixed number of queries whatever the data.
    """
    suppress = (not scope.exact) if suppress is None else suppress
    received = _funnel_counts(scope, filters)["received"]
    tables = [_referrals_by_month(scope, filters, suppress)]
    tables.append(_referrals_by_week(scope, filters, suppress))
    tables.append(_referrals_by_year(scope, filters, suppress))
    tables.append(_funnel(scope, filters, suppress))
    tables.extend(_waiting(scope, filters, suppress))
    tables.append(_caseload(scope, filters, suppress))
    tables.append(_referrals_by_area(scope, filters, suppress))
    if scope.kind == "area":
        tables.append(_referrals_by_scheme(scope, filters, suppress))
    tables.extend(_breakdowns(scope, filters, suppress, received))
    tables.extend(_connections(scope, filters, suppress))
    tables.extend(_unmet_needs(scope, filters, suppress))
    tables.append(_outcomes(scope, filters, suppress))
    return tables
