"""What a dashboard shows, as plain data: the contract between the statistics and the pages.

Selectors build `Table`s from the rollup tables; the dashboard template draws
each one as a chart, an accessible data table and a sentence; exports write
the same tables to CSV and XLSX. Nothing here queries the database.

Small-number suppression (DESIGN.md, Statistics) also lives here, so the
dashboard for a commissioner and every export publish counts the same way.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SUPPRESSION_THRESHOLD = 5  # counts of 1 to 4 are not published
ROUND_TOTALS_TO = 5


class Suppressed:
    """A published count of 1 to 4, shown as "<5". One shared instance: SUPPRESSED."""

    label = _("<5")

    def __str__(self) -> str:
        return str(self.label)

    def __repr__(self) -> str:
        return "SUPPRESSED"


SUPPRESSED = Suppressed()


@dataclass
class Column:
    key: str
    label: str | Promise
    # count: a number of referrals, people, connections... (suppressed for commissioners and
    # exports); rate: a share in per cent; number: days, scores or means; text: a label.
    kind: str = "count"


@dataclass
class Chart:
    """How to draw a table: `type` is a Chart.js type ("bar", "line"); `series` are the keys of
    the columns drawn (one dataset each); labels come from the first column."""

    type: str = "bar"
    series: list[str] = field(default_factory=list)
    stacked: bool = False
    horizontal: bool = False


@dataclass
class Table:
    key: str  # stable slug, used in export addresses and file names
    title: str
    sentence: str  # what the table shows, in words, for everyone and for screen readers
    columns: list[Column]
    # Cells are int, Decimal, float, str, None (nothing to show) or SUPPRESSED, as each
    # column's kind says; a row mixes them, so cells are not typed one by one.
    rows: list[list[Any]]
    total: list[Any] | None = None  # a totals row, drawn last and kept out of the chart
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)  # definitions and caveats under the table

    def column_keys(self) -> list[str]:
        return [column.key for column in self.columns]


def is_small(value: object) -> bool:
    return isinstance(value, int) and 0 < value < SUPPRESSION_THRESHOLD


def round_total(value: int) -> int:
    """Round to the nearest ROUND_TOTALS_TO (halves up)."""
    return ((value + ROUND_TOTALS_TO // 2) // ROUND_TOTALS_TO) * ROUND_TOTALS_TO


def publish_count(value: Any, suppress: bool = True) -> Any:
    """A count as a reader who may not see small numbers sees it: 0 stays 0, 1 to 4 is
    SUPPRESSED, anything else is rounded to the nearest 5.

    Rounding every count, not only the totals that add up a hidden one, is what
    stops subtraction: the same referrals are counted in several tables (by
    month, by area, in the funnel...), and any exact total would give a hidden
    cell away against another table's exact parts.
    """
    if not suppress or not isinstance(value, int) or isinstance(value, bool) or value == 0:
        return value
    if value < SUPPRESSION_THRESHOLD:
        return SUPPRESSED
    return round_total(value)


def suppress_counts(table: Table) -> Table:
    """Publish every count cell of `table` (rows and totals) with `publish_count`.

    Shares and means computed from counts are the selector's business: it
    computes shares from published counts and withholds what rests on a
    hidden one. Safe to apply twice.
    """
    count_columns = [i for i, column in enumerate(table.columns) if column.kind == "count"]
    table.rows = [
        [publish_count(value) if i in count_columns else value for i, value in enumerate(row)]
        for row in table.rows
    ]
    if table.total is not None:
        table.total = [
            publish_count(value) if i in count_columns else value
            for i, value in enumerate(table.total)
        ]
    note = str(SUPPRESSION_NOTE)
    if count_columns and note not in table.notes:
        table.notes.append(note)
    return table


SUPPRESSION_NOTE = _(
    "To protect privacy, counts are rounded to the nearest 5, counts of 1 to 4 are shown as <5, "
    "and percentages are worked out from the rounded counts."
)


def share(part: int, whole: int) -> Decimal | None:
    """part / whole in per cent to one place, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))
