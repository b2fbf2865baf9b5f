"""What every table shares: cube rows in scope, months, and publishing counts and rates.

Every count is read with its key sum (`tallied`) and becomes a `tables.Tally`;
what a commissioner or an export sees is published from it (tables.py).
"""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import QuerySet, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..models import CellMixin
from ..tables import (
    Table,
    Tally,
    publish_count,
    published_share,
    suppress_counts,
)
from .scope import Filters, Scope

CellModel = TypeVar("CellModel", bound=CellMixin)


def in_period(
    model: type[CellModel], scope: Scope, filters: Filters, month_field: str = "month"
) -> QuerySet[CellModel]:
    """Cube rows in the reader's scope and filters (a cell: month x scheme x area x source)."""
    rows = model._default_manager.filter(
        **{f"{month_field}__gte": filters.start, f"{month_field}__lte": filters.end}
    )
    if scope.kind == "scheme":
        assert scope.scheme is not None  # a scheme scope always names its scheme
        rows = rows.filter(scheme_id=scope.scheme.pk)
    elif filters.scheme is not None:
        rows = rows.filter(scheme_id=filters.scheme.pk)
    if filters.area_ids:
        rows = rows.filter(area_id__in=filters.area_ids)
    if filters.source_kind:
        rows = rows.filter(source_kind=filters.source_kind)
    return rows.order_by()


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_of(filters: Filters) -> list[date]:
    months: list[date] = []
    month = filters.start
    while month <= filters.end:
        months.append(month)
        month = next_month(month)
    return months


def this_month(filters: Filters) -> date:
    return filters.today.replace(day=1)


def months_shown(filters: Filters) -> list[date]:
    """The period's months up to the current one: months still to come are not drawn as 0."""
    return [month for month in months_of(filters) if month <= this_month(filters)]


def is_partial(month: date, filters: Filters) -> bool:
    """The current month is not over: its figures run to today."""
    return month == this_month(filters)


def month_label(month: date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def tallied(*measures: str) -> dict[str, Sum]:
    """annotate() or aggregate() arguments summing each count and the keys of its records
    (models.key_sum), as sum_<count> and sum_<count>_key."""
    return {
        f"sum_{name}": Sum(name) for measure in measures for name in (measure, f"{measure}_key")
    }


def tally_of(row: Any, measure: str) -> Tally:
    """The Tally of `measure` in a row read with `tallied` (None, from no rows, is 0)."""
    return Tally(row[f"sum_{measure}"] or 0, row[f"sum_{measure}_key"] or 0)


def shown_month_label(month: date, filters: Filters) -> str:
    """A month's label in a table, marking the current month as partial."""
    if is_partial(month, filters):
        return _("%(month)s (to %(day)s)") % {
            "month": month_label(month),
            "day": date_format(filters.today, "j F"),
        }
    return month_label(month)


def partial_month_note(filters: Filters) -> str | None:
    """The note under a table that counts the current month, else None."""
    if this_month(filters) not in months_of(filters):
        return None
    return _(
        "%(month)s is not over: it is counted to %(day)s, so it is not comparable with a "
        "whole month."
    ) % {"month": month_label(this_month(filters)), "day": date_format(filters.today, "j F Y")}


DAYS_IN_A_YEAR = 365


def days_elapsed(filters: Filters) -> int:
    """Days of the period that have happened: from its first day to its last or to today
    (today included), whichever comes first; 0 when the period has not begun."""
    last = min(next_month(filters.end) - timedelta(days=1), filters.today)
    return max((last - filters.start).days + 1, 0)


def per_year(count: Any, filters: Filters, per: int = 1) -> Decimal | None:
    """`count` over the days elapsed, scaled to a year of DAYS_IN_A_YEAR, shared among `per`,
    to one place; None when there is no figure or no day has passed."""
    days = days_elapsed(filters)
    if not isinstance(count, int) or isinstance(count, bool) or not days or not per:
        return None
    return (Decimal(count) * DAYS_IN_A_YEAR / days / per).quantize(Decimal("0.1"))


def published_count(value: Any, suppress: bool) -> Any:
    """A count as this reader may see it (tables.publish_count)."""
    return publish_count(value, suppress)


def published_rate(part: Any, whole: Any, suppress: bool) -> Decimal | None:
    """A share of published counts: withheld when either is hidden (<5)."""
    return published_share(part, whole, suppress)


def period_words(filters: Filters) -> str:
    return _("%(start)s to %(end)s") % {
        "start": month_label(filters.start),
        "end": month_label(filters.end),
    }


def shown_text(value: object) -> str:
    return str(value) if value is not None else "–"


def finish_table(table: Table, suppress: bool, sentence: Callable[[Table], str]) -> Table:
    """Publish the table for this reader, then say in words what it shows (from what is shown)."""
    if suppress:
        suppress_counts(table)
    table.sentence = sentence(table)
    return table


def total_of(table: Table, key: str) -> Any:
    return table.total[table.column_keys().index(key)] if table.total else None


def number_text(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else f"{value:.1f}"
    return str(value)


def months_in(filters: Filters) -> int:
    return len(months_of(filters))
