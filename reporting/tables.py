"""What a dashboard shows, as plain data: the contract between the statistics and the pages.

Selectors build `Table`s from the rollup tables; the dashboard template draws
each one as a chart, an accessible data table and a sentence; exports write
the same tables to CSV and XLSX. Nothing here queries the database.

Protecting small numbers (DESIGN.md and README, Statistics) also lives here,
so the dashboard for a commissioner and every export publish counts the same
way: every count is a `Tally` (the count and its cell key), published by
`publish_count` (the cell key method's noise, then 1 to 4 as "<5" and
rounding to 5). Whatever is worked out from counts (shares, rates per year,
means, the order of rows, the words of a sentence) is worked out from the
published values: `published_share`, `rank_value`, `leaders`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .cellkey import KEY_RANGE, perturbed

SUPPRESSION_THRESHOLD = 5  # counts of 1 to 4 are not published
ROUND_TOTALS_TO = 5
# A mean, median or percentile is shown only over at least this many people, counted as
# published: to one decimal place over 10 or more, a mean fits every base the published
# count allows (README, Statistics), so it cannot be used to solve for the exact base.
SMALLEST_BASE = 10


class Tally(int):
    """A count of records and its cell key: the sum of their record keys, modulo 256.

    An int, so exact figures (a manager's own scheme) work as before; adding two
    tallies of different records gives the tally of both, so a total summed in
    Python has the key its records give it, wherever it was summed.
    """

    key: int

    def __new__(cls, value: int, key: int = 0) -> "Tally":
        tally = super().__new__(cls, value)
        tally.key = int(key) % KEY_RANGE
        return tally

    def __add__(self, other: Any) -> Any:
        if isinstance(other, Tally):
            return Tally(int(self) + int(other), self.key + other.key)
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self  # nothing added: sum() starts from 0
        return int(self) + other  # anything else is no longer a count of records

    __radd__ = __add__

    def __repr__(self) -> str:
        return f"Tally({int(self)}, key={self.key})"

    def __str__(self) -> str:
        return int.__repr__(self)

    __format__ = int.__format__


class Published(int):
    """A count as published (perturbed and rounded): publishing it again changes nothing."""

    def __repr__(self) -> str:
        return int.__repr__(self)

    __str__ = __repr__


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


def round_total(value: int) -> int:
    """Round to the nearest ROUND_TOTALS_TO (halves up)."""
    return ((value + ROUND_TOTALS_TO // 2) // ROUND_TOTALS_TO) * ROUND_TOTALS_TO


def publish_count(value: Any, suppress: bool = True) -> Any:
    """A count as a reader who may not see small numbers sees it.

    The count is perturbed by the cell key method (cellkey.py: the noise comes
    from the count and its records' keys, so the same records always show the
    same figure), then 0 stays 0, 1 to 4 is SUPPRESSED and anything else is
    rounded to the nearest 5. Anything that is not a count is returned as it is.

    A count must be a Tally (or 0, which has no records): a bare number has no
    key, and publishing it without noise would undo the protection of every
    count it overlaps, so it is refused.
    """
    if not suppress or not isinstance(value, int) or isinstance(value, bool) or value == 0:
        return value
    if isinstance(value, Published):
        return value
    if settings.STATISTICS_PERTURBATION:
        if not isinstance(value, Tally):
            raise TypeError(f"A count published without its cell key: {value!r}")
        value = perturbed(int(value), value.key)
    else:
        value = int(value)
    if value == 0:
        return 0
    if value < SUPPRESSION_THRESHOLD:
        return SUPPRESSED
    return Published(round_total(value))


def published_share(part: Any, whole: Any, suppress: bool) -> Decimal | None:
    """part / whole in per cent, both as published: None when either is hidden (<5)."""
    part, whole = publish_count(part, suppress), publish_count(whole, suppress)
    if part is SUPPRESSED or whole is SUPPRESSED or part is None or whole is None:
        return None
    return share(part, whole)


def enough_for_a_mean(base: Any, suppress: bool) -> bool:
    """Whether a mean, median or percentile over `base` people may be shown: always for the
    exact figures of a manager's own scheme (when there is anyone), else only when the
    published base is SMALLEST_BASE or more."""
    if not suppress:
        return bool(base)
    shown = publish_count(base, suppress)
    return isinstance(shown, int) and shown >= SMALLEST_BASE


def rank_value(value: Any) -> Decimal:
    """Where a published count stands in an order: "<5" above 0 and below 5, nothing at the
    bottom. Orders and "most" in sentences use this, never the exact count."""
    if value is SUPPRESSED:
        return Decimal("2.5")
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return Decimal(value)
    return Decimal(-1)


def ranked(
    rows: list[list[Any]], position: int, published: Callable[[Any], Any] = lambda v: v
) -> list[list[Any]]:
    """Rows ordered by the published count at `position`, largest first, then by the label in
    the first column: a fixed order that says nothing about counts hidden as equal."""
    return sorted(rows, key=lambda row: (-rank_value(published(row[position])), str(row[0])))


def leaders(rows: Sequence[Sequence[Any]], position: int) -> list[str]:
    """The labels of the rows whose published count at `position` is the largest (several
    when tied): none when that largest is 0 or hidden ("<5": which is larger is not known)."""
    if not rows:
        return []
    top = max(rank_value(row[position]) for row in rows)
    if (
        top <= 0
        or any(row[position] is SUPPRESSED for row in rows)
        and top == rank_value(SUPPRESSED)
    ):
        return []
    return [str(row[0]) for row in rows if rank_value(row[position]) == top]


def suppress_counts(table: Table) -> Table:
    """Publish every count cell of `table` (rows and totals) with `publish_count`.

    Shares and means computed from counts are the selector's business: it
    computes shares from published counts (`published_share`) and withholds what
    rests on a hidden one. Safe to apply twice: a published count is a plain
    number, and the same Tally always publishes the same way.
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
    "To protect privacy, counts are rounded to the nearest 5 after a small adjustment that is "
    "always the same for the same people; counts of 1 to 4 are shown as <5, and a 0 may stand "
    "for 1 to 3. Totals may differ from the sum of their rows. Percentages and rates are "
    "worked out from the counts shown; means and medians of fewer than 10 people are withheld."
)


def share(part: int, whole: int) -> Decimal | None:
    """part / whole in per cent to one place, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))
