"""What a dashboard shows, as plain data: the contract between the statistics and the pages.

Selectors build `Table`s from the rollup tables; the dashboard template draws
each one as a chart, an accessible data table and a sentence; exports write
the same tables to CSV and XLSX. Nothing here queries the database.

Small-number suppression (DESIGN.md, Statistics) also lives here, so the
dashboard for a commissioner and every export publish counts the same way.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

SUPPRESSION_THRESHOLD = 5  # counts of 1 to 4 are not published
ROUND_TOTALS_TO = 5


class Suppressed:
    """A published count of 1 to 4, shown as "<5". One shared instance: SUPPRESSED."""

    label = _("<5")

    def __str__(self):
        return str(self.label)

    def __repr__(self):
        return "SUPPRESSED"


SUPPRESSED = Suppressed()


@dataclass
class Column:
    key: str
    label: str
    # count: a number of referrals, people, connections... (suppressed for commissioners and
    # exports); rate: a share in per cent; number: days, scores or means; text: a label.
    kind: str = "count"
    # For a count column that adds up other columns of the same row (a "total" column): their keys.
    total_of: list[str] = field(default_factory=list)


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
    rows: list[list]  # values: int, Decimal, float, str, None (nothing to show) or SUPPRESSED
    total: list | None = None  # a totals row, drawn last and kept out of the chart
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)  # definitions and caveats under the table

    def column_keys(self):
        return [column.key for column in self.columns]


def is_small(value) -> bool:
    return isinstance(value, int) and 0 < value < SUPPRESSION_THRESHOLD


def round_total(value: int) -> int:
    """Round to the nearest ROUND_TOTALS_TO (halves up), never to zero when something was there."""
    rounded = ((value + ROUND_TOTALS_TO // 2) // ROUND_TOTALS_TO) * ROUND_TOTALS_TO
    return max(rounded, ROUND_TOTALS_TO) if value > 0 else 0


def suppress_counts(table: Table) -> Table:
    """Publish `table` for readers who must not see small numbers (commissioners, exports).

    Every count cell of 1 to 4 becomes SUPPRESSED. A total that adds up a
    suppressed cell would let the reader work the cell out by subtraction, so
    it is rounded to the nearest 5 instead (column totals in the totals row).
    Rates and numbers computed from counts are the selector's business: it
    marks them with `min_count` below before the table gets here.
    """
    count_columns = [i for i, column in enumerate(table.columns) if column.kind == "count"]
    position = {column.key: i for i, column in enumerate(table.columns)}
    row_totals = {
        i: [position[key] for key in table.columns[i].total_of]
        for i in count_columns
        if table.columns[i].total_of
    }
    suppressed_in_column = dict.fromkeys(count_columns, False)
    rows = []
    for original in table.rows:
        row = list(original)
        for i in count_columns:
            hides_a_part = i in row_totals and any(
                is_small(original[part]) for part in row_totals[i]
            )
            if hides_a_part and isinstance(row[i], int):
                row[i] = round_total(row[i])
                suppressed_in_column[i] = True
                continue
            if is_small(row[i]):
                row[i] = SUPPRESSED
                suppressed_in_column[i] = True
        rows.append(row)
    total = None
    if table.total is not None:
        total = list(table.total)
        for i in count_columns:
            if suppressed_in_column[i] and isinstance(total[i], int):
                total[i] = round_total(total[i])
            elif is_small(total[i]):
                total[i] = SUPPRESSED
    table.rows, table.total = rows, total
    return table


def share(part: int, whole: int) -> Decimal | None:
    """part / whole in per cent to one place, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))
