"""Connections to services by category and provider, and unmet needs."""

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Area
from directory.models import Provider, TaxonomyTerm

from ..models import (
    ConnectionCube,
    UnmetNeedCube,
)
from ..tables import (
    Chart,
    Column,
    Table,
    Tally,
    leaders,
    publish_count,
    rank_value,
    ranked,
)
from .common import finish_table, in_period, tallied, tally_of, total_of
from .scope import Filters, Scope

PROVIDER_ROWS = 25  # the busiest providers on the page; the rest share one row


def connection_tables(scope: Scope, filters: Filters, suppress: bool) -> tuple[Table, Table]:
    measures = ["connections", "referred", "accepted", "declined", "attended", "completed"]
    columns_tail = [
        Column("connections", _("Connections made")),
        Column("accepted", _("Accepted by the provider")),
        Column("declined", _("Declined by the provider")),
        Column("attended", _("Attended")),
        Column("completed", _("Completed")),
    ]
    rows_by: dict[str, list[tuple[Any, ...]]] = {}
    # A connection counts under every top-level category of its service, and once (on its
    # counts_connection row) in the totals and under its provider (models.ConnectionFact).
    cube_rows = in_period(ConnectionCube, scope, filters)
    for group, rows in (
        ("category_id", cube_rows),
        ("provider_id", cube_rows.filter(counts_connection=True)),
    ):
        rows_by[group] = [
            (row[group], *(tally_of(row, measure) for measure in measures))
            for row in rows.values(group).annotate(**tallied(*measures))
        ]
    categories = {
        term.pk: term.display_name
        for term in TaxonomyTerm.objects.filter(
            pk__in=[r[0] for r in rows_by["category_id"] if r[0]]
        )
    }

    def shown(value: Any) -> Any:
        return publish_count(value, suppress)

    # Names only for the providers that can make the page: the busiest PROVIDER_ROWS by the
    # counts as this reader sees them, and any tied with the last of them (ties are ordered
    # by name).
    by_count = sorted((rank_value(shown(row[1])) for row in rows_by["provider_id"]), reverse=True)
    least = by_count[PROVIDER_ROWS - 1] if len(by_count) > PROVIDER_ROWS else rank_value(None)
    providers = {
        p.pk: p.display_name
        for p in Provider.objects.filter(
            pk__in=[row[0] for row in rows_by["provider_id"] if rank_value(shown(row[1])) >= least]
        )
    }

    def build(
        rows: Sequence[tuple[Any, ...]], names: Mapping[int, str], limit: int | None = None
    ) -> list[list[Any]]:
        labelled = [
            [names.get(key, _("Not categorised")), *values[:1], *values[2:]]
            for key, *values in rows
        ]
        body = ranked(labelled, 1, shown)
        if limit and len(body) > limit:
            rest = body[limit:]
            body = body[:limit] + [
                [_("All other providers (%(count)s)") % {"count": len(rest)}]
                + [sum((row[i] for row in rest), Tally(0)) for i in range(1, 6)]
            ]
        return body

    category_rows = build(rows_by["category_id"], categories)
    provider_rows = build(rows_by["provider_id"], providers, PROVIDER_ROWS)
    # Each connection once: the providers' rows add up to the connections made (and their
    # keys to the key of every connection made).
    totals = [_("Total")] + [sum((row[i] for row in provider_rows), Tally(0)) for i in range(1, 6)]
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
                "Connections made for referrals received in the period, under every "
                "top-level category of the service (as unmet needs are counted under "
                "theirs, so the two tables compare category by category). A service listed "
                "under two categories counts under both, so the categories may add up to "
                "more than the total, which counts each connection once. Attended: the "
                "person started going."
            )
        ],
    )
    by_provider = Table(
        key="connections_by_provider",
        title=_("Connections to community services by provider"),
        sentence="",
        columns=[Column("provider", _("Provider"), "text"), *columns_tail],
        rows=provider_rows,
        total=list(totals),
        chart=Chart(type="bar", series=["connections", "attended"], horizontal=True),
    )

    def category_sentence(table: Table) -> str:
        if total_of(table, "connections") == 0 and not any(row[1] for row in table.rows):
            return _("No connections were made for referrals received in this period.")
        return _("%(attended)s of %(made)s connections led to the person attending.") % {
            "attended": total_of(table, "attended"),
            "made": total_of(table, "connections"),
        }

    return (
        finish_table(by_category, suppress, category_sentence),
        finish_table(
            by_provider,
            suppress,
            lambda table: _("Which providers took the connections, busiest first."),
        ),
    )


def _known(ids: Counter[int | None]) -> list[int]:
    return [pk for pk in ids if pk is not None]


def unmet_need_tables(scope: Scope, filters: Filters, suppress: bool) -> tuple[Table, Table]:
    by_category: Counter[int | None] = Counter()
    by_area: Counter[int | None] = Counter()
    for row in (
        in_period(UnmetNeedCube, scope, filters)
        .values("category_id", "area_id")
        .annotate(**tallied("needs"))
    ):
        by_category[row["category_id"]] += tally_of(row, "needs")
        by_area[row["area_id"]] += tally_of(row, "needs")
    categories: dict[int | None, str] = {
        t.pk: t.display_name for t in TaxonomyTerm.objects.filter(pk__in=_known(by_category))
    }
    areas: dict[int | None, str] = {
        a.pk: a.display_name for a in Area.objects.filter(pk__in=_known(by_area))
    }

    def most_first(rows: list[list[Any]]) -> list[list[Any]]:
        return ranked(rows, 1, lambda value: publish_count(value, suppress))

    total = sum(by_category.values(), Tally(0))
    category_table = Table(
        key="unmet_needs",
        title=_("Unmet needs by category"),
        sentence="",
        columns=[Column("category", _("Category"), "text"), Column("needs", _("Unmet needs"))],
        rows=most_first(
            [[categories.get(k, _("Not categorised")), n] for k, n in by_category.items()]
        ),
        total=[_("Total"), total],
        chart=Chart(type="bar", series=["needs"], horizontal=True),
        notes=[
            _(
                "Needs a link worker recorded because no suitable service could be found, "
                "under the top-level category of the need: the categories connections are "
                "counted under."
            )
        ],
    )
    area_table = Table(
        key="unmet_needs_by_area",
        title=_("Unmet needs by area"),
        sentence="",
        columns=[Column("area", _("Area"), "text"), Column("needs", _("Unmet needs"))],
        rows=most_first([[areas.get(k, _("Not known")), n] for k, n in by_area.items()]),
        total=[_("Total"), total],
        chart=Chart(type="bar", series=["needs"], horizontal=True),
    )

    def sentence(table: Table) -> str:
        # From the counts as shown: a tie or a hidden count names no single category.
        if total_of(table, "needs") == 0 and not any(row[1] for row in table.rows):
            return _("No unmet needs were recorded for referrals received in this period.")
        most = leaders(table.rows, 1)
        if not most:
            return _("Too few unmet needs to say which was the most common.")
        if len(most) > 1:
            return _("%(categories)s were unmet equally often.") % {"categories": ", ".join(most)}
        return _("The most often unmet need was %(category)s.") % {"category": most[0]}

    return (
        finish_table(category_table, suppress, sentence),
        finish_table(
            area_table,
            suppress,
            lambda table: _("Where the unmet needs were, by the area the referral came from."),
        ),
    )
