"""Drawing a `tables.Table` in a page or an email: cell text, and the data a chart is drawn from."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from reporting.tables import SUPPRESSION_NOTE, Suppressed

register = template.Library()

NUMBER_KINDS = ("count", "rate", "number")


def cell_text(value, kind: str = "count") -> str:
    """A value as a reader sees it: "<5" for a suppressed count, "–" for nothing to show."""
    if value is None:
        return "–"
    if isinstance(value, Suppressed):
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    if kind == "rate":
        return f"{number_format(value, 1)}%"
    if isinstance(value, float):
        return number_format(value, 1)
    return number_format(value)


@register.simple_tag
def table_cell(value, column):
    """The HTML of one cell: a suppressed count says why it is hidden (WCAG: abbreviations)."""
    if isinstance(value, Suppressed):
        return _suppressed_html(value)
    if value is None:
        return format_html(
            '<span aria-hidden="true">–</span><span class="visually-hidden">{}</span>',
            _("no figure"),
        )
    return cell_text(value, column.kind)


@register.filter
def plain_cell(value, column):
    """A cell for plain text (the email): no markup."""
    return cell_text(value, column.kind)


def chart_value(value):
    """What Chart.js draws: a number, or null (a gap) for a suppressed count or no figure."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value) if isinstance(value, Decimal) else value


@register.filter
def chart_data(table):
    """The chart of `table` as plain data for json_script, or None when it has no chart.

    Labels come from the first column; one dataset per column in `chart.series`.
    The totals row is never drawn: it would dwarf the rows it adds up.
    """
    chart = table.chart
    if chart is None or not chart.series or not table.rows:
        return None
    position = {column.key: i for i, column in enumerate(table.columns)}
    series = [key for key in chart.series if key in position]
    return {
        "type": chart.type,
        "stacked": chart.stacked,
        "horizontal": chart.horizontal,
        "percent": all(table.columns[position[key]].kind == "rate" for key in series),
        "labels": [str(row[0]) if row[0] is not None else "" for row in table.rows],
        "datasets": [
            {
                "label": str(table.columns[position[key]].label),
                "data": [chart_value(row[position[key]]) for row in table.rows],
            }
            for key in series
        ],
    }


# A table with more rows than this is folded under its chart (details/summary): the page
# stays short enough to read through, and the figures are one click away.
FOLD_AFTER_ROWS = 12


@register.filter
def is_long(table) -> bool:
    return len(table.rows) > FOLD_AFTER_ROWS


def _suppressed_html(value) -> str:
    return format_html(
        '<abbr title="{}">{}</abbr>', _("fewer than 5, hidden to protect privacy"), str(value)
    )


@register.simple_tag
def headline_value(figure, value):
    """A headline figure as the reader sees it: "<5" explained, "–" for no figure."""
    if isinstance(value, Suppressed):
        return _suppressed_html(value)
    if value is None:
        return format_html(
            '<span aria-hidden="true">–</span><span class="visually-hidden">{}</span>',
            _("no figure"),
        )
    return cell_text(value, "rate" if figure.kind == "rate" else "number")


def _signed(number, places: int) -> str:
    text = number_format(abs(number), places)
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"−{text}"  # a minus sign, as a screen reader says it
    return text


@register.simple_tag
def headline_change(figure, previous_period):
    """What the figure was in the previous period and how it changed, in words and signs."""
    previous = figure.previous
    if isinstance(previous, Suppressed) or previous is None:
        shown = str(previous) if isinstance(previous, Suppressed) else "–"
        return _("%(period)s: %(value)s, so no change to give.") % {
            "period": previous_period,
            "value": shown,
        }
    change = figure.change
    if figure.kind == "rate":
        was = cell_text(previous, "rate")
        moved = (
            _("%(change)s percentage points") % {"change": _signed(change, 1)}
            if change is not None
            else "–"
        )
    else:
        was = cell_text(previous, "number")
        moved = _signed(change, 0 if change == int(change) else 1) if change is not None else "–"
    return _("%(period)s: %(value)s (change %(change)s).") % {
        "period": previous_period,
        "value": was,
        "change": moved,
    }


@register.filter
def is_number_column(column) -> bool:
    return column.kind in NUMBER_KINDS


@register.filter
def cells(row, columns):
    """(value, column) pairs of a row, to draw each cell by its column's kind."""
    return list(zip(row, columns, strict=False))


@register.simple_tag
def suppression_note():
    """How counts are published for readers who may not see small numbers."""
    return str(SUPPRESSION_NOTE)
