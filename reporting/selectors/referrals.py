"""Referrals received: by month, week, year, area, scheme and breakdown, and the funnel."""

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Area, Organisation
from referrals.models import EthnicGroup, Gender, Reason, SourceKind

from ..models import (
    AgeBand,
    BreakdownCube,
    DeprivationQuintile,
    Dimension,
    ReferralCube,
    WeeklyCube,
)
from ..tables import (
    Chart,
    Column,
    Table,
    Tally,
    leaders,
    publish_count,
    ranked,
)
from .common import (
    finish_table,
    in_period,
    months_of,
    months_shown,
    next_month,
    partial_month_note,
    period_words,
    published_count,
    published_rate,
    shown_month_label,
    tallied,
    tally_of,
    total_of,
)
from .scope import Filters, Scope


def referrals_by_month(scope: Scope, filters: Filters, suppress: bool) -> Table:
    by_month: defaultdict[date, Counter[str]] = defaultdict(Counter)
    for row in (
        in_period(ReferralCube, scope, filters)
        .values("month", "source_kind")
        .annotate(**tallied("received"))
    ):
        by_month[row["month"]][row["source_kind"]] += tally_of(row, "received")
    sources = [
        kind for kind in SourceKind if not filters.source_kind or kind == filters.source_kind
    ]
    keys = [kind.value for kind in sources]
    columns = [Column("month", _("Month"), "text")]
    columns += [Column(kind.value, kind.label) for kind in sources]
    columns.append(Column("total", _("Total")))
    rows: list[list[Any]] = []
    for month in months_shown(filters):
        counts = [by_month[month][key] for key in keys]
        rows.append([shown_month_label(month, filters), *counts, sum(counts)])
    totals = [sum(row[1 + i] for row in rows) for i in range(len(keys))]
    table = Table(
        key="referrals_by_month",
        title=_("Referrals received by month and source"),
        sentence="",
        columns=columns,
        rows=rows,
        total=[_("Total"), *totals, sum(totals)],
        chart=Chart(type="bar", series=keys, stacked=True),
        notes=_time_notes(filters),
    )

    def sentence(table: Table) -> str:
        words = _("%(total)s referrals were received from %(period)s.") % {
            "total": total_of(table, "total"),
            "period": period_words(filters),
        }
        # The largest source by the totals shown, and only when one stands alone.
        assert table.total is not None  # set above
        shown = [[kind.label, table.total[1 + i]] for i, kind in enumerate(sources)]
        biggest = leaders(shown, 1)
        if len(sources) > 1 and len(biggest) == 1:
            words += " " + _("The largest source was %(source)s.") % {"source": biggest[0]}
        return words

    return finish_table(table, suppress, sentence)


def referrals_by_week(scope: Scope, filters: Filters, suppress: bool) -> Table:
    weeks: Counter[date] = Counter()
    for row in in_period(WeeklyCube, scope, filters).values("week").annotate(**tallied("received")):
        weeks[row["week"]] += tally_of(row, "received")
    first = filters.start - timedelta(days=filters.start.weekday())
    rows: list[list[Any]] = []
    week = first
    after_last_day = next_month(filters.end)
    # Weeks still to come are left out, not drawn as weeks with no referrals.
    while week < after_last_day and week <= filters.today:
        label = date_format(week, "j M Y")
        if week + timedelta(days=6) >= filters.today:
            label = _("%(week)s (to %(day)s)") % {
                "week": label,
                "day": date_format(filters.today, "j M"),
            }
        rows.append([label, weeks[week]])
        week += timedelta(days=7)
    notes = [_("Weeks begin on Monday; the first and last weeks may be part weeks.")]
    if rows and filters.today < after_last_day:
        notes.append(
            _("The week that includes today is counted to today; weeks to come are not shown.")
        )
    table = Table(
        key="referrals_by_week",
        title=_("Referrals received by week"),
        sentence="",
        columns=[Column("week", _("Week beginning"), "text"), Column("received", _("Referrals"))],
        rows=rows,
        chart=Chart(type="line", series=["received"]),
        notes=notes,
    )

    def sentence(table: Table) -> str:
        # From the weeks as shown: the rows are in date order, so the first is the earliest.
        busiest = leaders(table.rows, 1)
        if not busiest:
            if all(row[1] == 0 for row in table.rows):
                return _("No referrals were received in this period.")
            return _("Too few referrals in any one week to name the busiest.")
        if len(busiest) > 1:
            return _("%(count)s weeks were equally the busiest; the first began on %(week)s.") % {
                "count": len(busiest),
                "week": busiest[0],
            }
        return _("The busiest week began on %(week)s.") % {"week": busiest[0]}

    return finish_table(table, suppress, sentence)


def referrals_by_year(scope: Scope, filters: Filters, suppress: bool) -> Table:
    years: Counter[int] = Counter()
    by_month = in_period(ReferralCube, scope, filters).values("month")
    for row in by_month.annotate(**tallied("received")):
        years[row["month"].year] += tally_of(row, "received")
    last_year = min(filters.end.year, filters.today.year)
    rows = [
        [
            _("%(year)s (to %(day)s)") % {"year": year, "day": date_format(filters.today, "j F")}
            if year == filters.today.year and filters.today < next_month(filters.end)
            else str(year),
            years[year],
        ]
        for year in range(filters.start.year, last_year + 1)
    ]
    table = Table(
        key="referrals_by_year",
        title=_("Referrals received by calendar year"),
        sentence="",
        columns=[Column("year", _("Year"), "text"), Column("received", _("Referrals"))],
        rows=rows,
        notes=[
            _("Only the months in the chosen period are counted in each year."),
            *_time_notes(filters),
        ],
    )
    return finish_table(
        table,
        suppress,
        lambda table: (
            _("Referrals received in each calendar year of the period, %(period)s.")
            % {"period": period_words(filters)}
        ),
    )


def _time_notes(filters: Filters) -> list[str]:
    """What a table counting by month says of the current month and the months to come."""
    notes: list[str] = []
    partial = partial_month_note(filters)
    if partial:
        notes.append(partial)
    if months_shown(filters) != months_of(filters):
        notes.append(_("Months still to come are not shown."))
    return notes


# The funnel's stages, nested: each counts the referrals that reached it and every stage
# before it (facts.py). Labels are lazy: module-level, read in each request's language.
FUNNEL = [
    ("received", gettext_lazy("Received")),
    ("accepted", gettext_lazy("Accepted")),
    ("allocated", gettext_lazy("Allocated to a link worker")),
    ("first_contact", gettext_lazy("First contact made")),
    ("connected", gettext_lazy("Connected to a service")),
    ("connected_completed", gettext_lazy("Connected, then closed as completed")),
]


def funnel_counts(scope: Scope, filters: Filters) -> dict[str, Tally]:
    fields = [key for key, _label in FUNNEL] + ["rejected", "cancelled", "closed", "completed"]
    totals = in_period(ReferralCube, scope, filters).aggregate(**tallied(*fields))
    return {key: tally_of(totals, key) for key in fields}


def funnel_table(scope: Scope, filters: Filters, suppress: bool) -> Table:
    counts = funnel_counts(scope, filters)
    rows: list[list[Any]] = []
    previous: Tally | None = None
    for key, label in FUNNEL:
        n = counts[key]
        rows.append(
            [
                str(label),
                published_count(n, suppress),
                published_rate(n, counts["received"], suppress),
                published_rate(n, previous, suppress) if previous is not None else None,
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
                "rejected": published_count(counts["rejected"], suppress),
                "cancelled": published_count(counts["cancelled"], suppress),
            },
            _(
                "Each stage counts only the referrals that reached every stage before it, so "
                "each is a part of the one above. Closed as completed, whether connected to a "
                "service or not: %(completed)s."
            )
            % {"completed": published_count(counts["completed"], suppress)},
        ],
    )

    def sentence(table: Table) -> str:
        rate = published_rate(counts["connected"], counts["received"], suppress)
        if rate is None:
            return _(
                "Too few referrals were connected to a service in this period to give a share."
            )
        return _("%(rate)s%% of the referrals received were connected to a community service.") % {
            "rate": rate
        }

    return finish_table(table, suppress, sentence)


def _breakdown_label(dimension: str, value: str) -> str:
    choices_of: dict[str, type[models.TextChoices]] = {
        Dimension.REASON: Reason,
        Dimension.AGE_BAND: AgeBand,
        Dimension.GENDER: Gender,
        Dimension.ETHNIC_GROUP: EthnicGroup,
        Dimension.DEPRIVATION: DeprivationQuintile,
    }
    choices = choices_of[dimension]
    try:
        return str(choices(value).label)
    except ValueError:
        return value


BREAKDOWNS = [
    (Dimension.REASON, "reasons", gettext_lazy("Reasons for referral")),
    (Dimension.AGE_BAND, "age_bands", gettext_lazy("Referrals by age band")),
    (Dimension.GENDER, "gender", gettext_lazy("Referrals by gender")),
    (Dimension.ETHNIC_GROUP, "ethnic_groups", gettext_lazy("Referrals by ethnic group")),
    (Dimension.DEPRIVATION, "deprivation", gettext_lazy("Referrals by deprivation quintile")),
]


def breakdown_tables(
    scope: Scope, filters: Filters, suppress: bool, received: Tally
) -> list[Table]:
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in (
        in_period(BreakdownCube, scope, filters)
        .values("dimension", "value")
        .annotate(**tallied("received"))
    ):
        counts[row["dimension"]][row["value"]] = tally_of(row, "received")
    tables: list[Table] = []
    for dimension, key, title in BREAKDOWNS:
        values: list[str] = {
            Dimension.REASON: Reason.values,
            Dimension.AGE_BAND: AgeBand.values,
            Dimension.GENDER: Gender.values,
            Dimension.ETHNIC_GROUP: EthnicGroup.values,
            Dimension.DEPRIVATION: DeprivationQuintile.values,
        }[dimension]
        extra = [value for value in counts[dimension] if value not in values]
        rows: list[list[Any]] = [
            [
                _breakdown_label(dimension, value),
                counts[dimension][value],
                published_rate(counts[dimension][value], received, suppress),
            ]
            for value in [*values, *extra]
        ]
        notes: list[str] = []
        if dimension == Dimension.REASON:
            notes.append(_("A referral may give several reasons and is counted under each."))
            total: list[Any] | None = None
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
        known_rows = [index for index, value in enumerate([*values, *extra]) if value != "unknown"]

        def sentence(
            table: Table, dimension: str = dimension, known: list[int] = known_rows
        ) -> str:
            # Everything from the figures as shown: the most common value is the one whose
            # shown count stands highest, and a tie or a hidden count names none.
            if not publish_count(received, suppress):
                return _("No referrals were received in this period.")
            if dimension == Dimension.DEPRIVATION and not any(
                table.rows[index][1] for index in known
            ):
                return _(
                    "Deprivation is not known for these referrals: no postcode data with "
                    "deprivation has been loaded."
                )
            most = leaders(table.rows, 1)
            if not most:
                return _("Too few referrals to say which was the most common.")
            if len(most) > 1:
                return _("%(values)s had the most referrals, equally.") % {
                    "values": ", ".join(most)
                }
            headline: dict[str, str] = {
                Dimension.REASON: _("The reason given most often was %(value)s."),
                Dimension.AGE_BAND: _("The age band with most referrals was %(value)s."),
                Dimension.GENDER: _("The gender recorded most often was %(value)s."),
                Dimension.ETHNIC_GROUP: _("The ethnic group recorded most often was %(value)s."),
                Dimension.DEPRIVATION: _(
                    "The deprivation quintile with most referrals was %(value)s."
                ),
            }
            return headline[dimension] % {"value": most[0]}

        tables.append(finish_table(table, suppress, sentence))
    return tables


def _breakdown_dimension_label(dimension: str) -> str:
    return str(Dimension(dimension).label)


def _received_by(field: str, scope: Scope, filters: Filters) -> dict[Any, Tally]:
    return {
        row[field]: tally_of(row, "received")
        for row in in_period(ReferralCube, scope, filters)
        .values(field)
        .annotate(**tallied("received"))
    }


def _most_first(rows: list[list[Any]], suppress: bool) -> list[list[Any]]:
    """Rows by their count as the reader sees it, most first, then by name (tables.ranked)."""
    return ranked(rows, 1, lambda value: publish_count(value, suppress))


def referrals_by_area(scope: Scope, filters: Filters, suppress: bool) -> Table:
    counts = _received_by("area_id", scope, filters)
    areas = {a.pk: a.display_name for a in Area.objects.filter(pk__in=counts)}
    rows = _most_first([[areas.get(k, _("Not known")), n] for k, n in counts.items()], suppress)
    table = Table(
        key="referrals_by_area",
        title=_("Referrals received by area"),
        sentence="",
        columns=[Column("area", _("Area"), "text"), Column("referrals", _("Referrals"))],
        rows=rows,
        total=[_("Total"), sum(counts.values(), Tally(0))],
        chart=Chart(type="bar", series=["referrals"], horizontal=True),
        notes=[_("The area of the referring organisation; self-referrals count in the scheme's.")],
    )
    return finish_table(
        table,
        suppress,
        lambda table: _("Where referrals came from, most first."),
    )


def referrals_by_scheme(scope: Scope, filters: Filters, suppress: bool) -> Table:
    counts = _received_by("scheme_id", scope, filters)
    names = {o.pk: o.display_name for o in Organisation.objects.filter(pk__in=counts)}
    rows = _most_first([[names.get(k, "?"), n] for k, n in counts.items()], suppress)
    table = Table(
        key="referrals_by_scheme",
        title=_("Referrals received by scheme"),
        sentence="",
        columns=[Column("scheme", _("Scheme"), "text"), Column("referrals", _("Referrals"))],
        rows=rows,
        total=[_("Total"), sum(counts.values(), Tally(0))],
        chart=Chart(type="bar", series=["referrals"], horizontal=True),
    )
    return finish_table(
        table, suppress, lambda table: _("Which schemes received the referrals, most first.")
    )
