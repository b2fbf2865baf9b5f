"""The headline figures at the top of the dashboard, with their change on the previous period.

Every headline is read from a table already published for this reader (the
funnel, the waiting summary, the outcomes), never from the cubes directly, so
a commissioner's headline is rounded and hidden exactly as the table it comes
from, and a change is the difference of two published values.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ..tables import Table
from .common import months_of, period_words, this_month
from .outcomes import outcome_table
from .referrals import FUNNEL, funnel_table
from .scope import Filters, Scope
from .waiting import waiting_tables

# Where each headline sits in its table: the funnel's stages (referrals.FUNNEL) and the
# waiting summary's rows (waiting.waiting_tables), by position.
FUNNEL_STAGES = [key for key, _label in FUNNEL]
WAITING_MEDIAN_ROW = 1


@dataclass
class HeadlineFigure:
    key: str  # "referrals", "median_wait", "share_connected", "share_improved"
    label: str
    kind: str  # "count", "days" or "rate" (per cent)
    value: Any  # as published: int, Decimal, SUPPRESSED or None (no figure)
    previous: Any  # the same for the previous period

    @property
    def change(self) -> int | Decimal | None:
        """This period less the previous one, where both are figures."""
        if _is_number(self.value) and _is_number(self.previous):
            difference: int | Decimal = self.value - self.previous
            return difference
        return None


@dataclass
class Headline:
    figures: list[HeadlineFigure]
    period: str  # the period in words
    previous_period: str
    partial: bool  # the period includes the current month, which is not over


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def previous_filters(filters: Filters) -> Filters:
    """The same number of whole months just before the period, with the same filters."""
    months = len(months_of(filters))
    start = filters.start
    for _month in range(months):
        start = month_before(start)
    return replace(filters, start=start, end=month_before(filters.start))


def month_before(month: date) -> date:
    """The first day of the month before `month`."""
    return (month - timedelta(days=1)).replace(day=1)


def _cell(table: Table | None, row: int, column: str) -> Any:
    """A published cell, or None when the table, row or column is not there."""
    if table is None or column not in table.column_keys() or row >= len(table.rows):
        return None
    return table.rows[row][table.column_keys().index(column)]


def _most_measured(table: Table | None) -> tuple[str, Any] | None:
    """(measure, share improved) of the outcome measure most people answered twice, by the
    published counts (the first in the table's order among equals), or None."""
    if table is None or not table.rows or "pairs" not in table.column_keys():
        return None
    pairs = table.column_keys().index("pairs")
    counted = [row for row in table.rows if _is_number(row[pairs])]
    if not counted:
        return None
    best = max(counted, key=lambda row: row[pairs])
    return str(best[0]), _cell(table, table.rows.index(best), "share_improved")


def _share_improved_on(table: Table | None, measure: str) -> Any:
    if table is None or "share_improved" not in table.column_keys():
        return None
    for index, row in enumerate(table.rows):
        if str(row[0]) == measure:
            return _cell(table, index, "share_improved")
    return None


def headline_figures(
    *, scope: Scope, filters: Filters, tables: list[Table], suppress: bool
) -> Headline:
    """Referrals received, the median wait, the share connected and the share improved for the
    period (from `tables`, the dashboard's, published for this reader) and for the previous
    period of as many months (its tables published the same way)."""
    now = {table.key: table for table in tables}
    before_filters = previous_filters(filters)
    before = {
        "funnel": funnel_table(scope, before_filters, suppress),
        "waiting": waiting_tables(scope, before_filters, suppress)[0],
        "outcomes": outcome_table(scope, before_filters, suppress),
    }
    received = FUNNEL_STAGES.index("received")
    connected = FUNNEL_STAGES.index("connected")
    figures = [
        HeadlineFigure(
            key="referrals",
            label=_("Referrals received"),
            kind="count",
            value=_cell(now.get("funnel"), received, "referrals"),
            previous=_cell(before["funnel"], received, "referrals"),
        ),
        HeadlineFigure(
            key="median_wait",
            label=_("Median wait for a first contact (days)"),
            kind="days",
            value=_cell(now.get("waiting"), WAITING_MEDIAN_ROW, "value"),
            previous=_cell(before["waiting"], WAITING_MEDIAN_ROW, "value"),
        ),
        HeadlineFigure(
            key="share_connected",
            label=_("Connected to a service"),
            kind="rate",
            value=_cell(now.get("funnel"), connected, "share_of_received"),
            previous=_cell(before["funnel"], connected, "share_of_received"),
        ),
    ]
    measured = _most_measured(now.get("outcomes"))
    if measured is not None:
        measure, share_improved = measured
        figures.append(
            HeadlineFigure(
                key="share_improved",
                label=_("Improved on %(measure)s") % {"measure": measure},
                kind="rate",
                value=share_improved,
                previous=_share_improved_on(before["outcomes"], measure),
            )
        )
    else:
        figures.append(
            HeadlineFigure(
                key="share_improved",
                label=_("Improved on a wellbeing measure"),
                kind="rate",
                value=None,
                previous=None,
            )
        )
    return Headline(
        figures=figures,
        period=period_words(filters),
        previous_period=period_words(before_filters),
        partial=this_month(filters) in months_of(filters),
    )
