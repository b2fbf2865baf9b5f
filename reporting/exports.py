"""Dashboard tables as files: CSV (one table) and XLSX (one table, or one sheet per table).

Every file says what it counts before the figures: the title, the reader's
scope, the filters and dates (`Filters.described()`), when the figures were
produced and that small numbers are hidden. The callers pass tables already
published with `suppress=True` (DESIGN.md, Statistics: every export).
"""

import csv
import io
import re
from datetime import datetime
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from .tables import SUPPRESSION_NOTE, Suppressed, Table

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME_MAX = 31  # Excel's limit
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# A spreadsheet takes text starting with these as a formula: names come from providers and
# other people's typing, so such text is written with a leading apostrophe (OWASP, CSV
# injection) and stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def filename(*, key: str, filters, extension: str) -> str:
    """sp-<key>-<from>-to-<to>.<extension>, months as YYYY-MM."""
    return f"sp-{key}-{filters.start:%Y-%m}-to-{filters.end:%Y-%m}.{extension}"


def produced_text(produced_at: datetime | None) -> str:
    if produced_at is None:
        return _("No figures have been produced yet.")
    when = timezone.localtime(produced_at)
    return formats.date_format(when, "j F Y, H:i")


def preamble(*, table: Table | None, scope, filters, produced_at) -> list[list[str]]:
    """The lines above the figures: what was counted, for whom, and when."""
    lines = []
    if table is not None:
        lines.append([safe_text(table.title)])
        lines.append([safe_text(table.sentence)])
    lines.append([_("Counted for"), safe_text(scope.title)])
    lines.extend([str(label), safe_text(value)] for label, value in filters.described())
    lines.append([_("Figures as at"), produced_text(produced_at)])
    lines.append([str(SUPPRESSION_NOTE)])
    return lines


def safe_text(text) -> str:
    """Text that a spreadsheet shows as text, never runs as a formula."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def plain_value(value):
    """A cell for a file: numbers stay numbers, "<5" is text, nothing is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, Suppressed):
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return safe_text(value)
    return value


def table_lines(table: Table) -> list[list]:
    """The header row, the rows, the totals row (then the notes)."""
    lines = [[safe_text(column.label) for column in table.columns]]
    lines.extend([plain_value(value) for value in row] for row in table.rows)
    if table.total is not None:
        lines.append([plain_value(value) for value in table.total])
    return lines


def table_notes(table: Table) -> list[str]:
    """The notes under the figures, less the privacy note the preamble already gives."""
    return [safe_text(note) for note in table.notes if str(note) != str(SUPPRESSION_NOTE)]


def table_csv(*, table: Table, scope, filters, produced_at) -> bytes:
    """One table as CSV, UTF-8 with a byte order mark so that Excel reads Welsh letters."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(preamble(table=table, scope=scope, filters=filters, produced_at=produced_at))
    writer.writerow([])
    writer.writerows(table_lines(table))
    notes = table_notes(table)
    if notes:
        writer.writerow([])
        writer.writerows([note] for note in notes)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# Each table's short name, for a sheet when its title is longer than Excel allows (31
# characters): a name a reader recognises, never a title cut in the middle of a word.
SHEET_NAMES = {
    "referrals_by_month": gettext_lazy("Referrals by month"),
    "referrals_by_week": gettext_lazy("Referrals by week"),
    "referrals_by_year": gettext_lazy("Referrals by year"),
    "funnel": gettext_lazy("Funnel"),
    "waiting": gettext_lazy("Waiting time"),
    "waiting_distribution": gettext_lazy("Waits by length"),
    "caseload": gettext_lazy("Caseloads"),
    "referrals_by_area": gettext_lazy("Referrals by area"),
    "referrals_by_scheme": gettext_lazy("Referrals by scheme"),
    "reasons": gettext_lazy("Reasons"),
    "age_bands": gettext_lazy("Age bands"),
    "gender": gettext_lazy("Gender"),
    "ethnic_groups": gettext_lazy("Ethnic groups"),
    "deprivation": gettext_lazy("Deprivation"),
    "connections_by_category": gettext_lazy("Connections by category"),
    "connections_by_provider": gettext_lazy("Connections by provider"),
    "unmet_needs": gettext_lazy("Unmet needs by category"),
    "unmet_needs_by_area": gettext_lazy("Unmet needs by area"),
    "outcomes": gettext_lazy("Wellbeing outcomes"),
}


def _clean_sheet_text(text: object) -> str:
    return " ".join(SHEET_NAME_FORBIDDEN.sub(" ", str(text)).split())


def _cut_at_word(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut after a whole word where there is one."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;-–(")
    return cut if cut and len(cut) <= limit else text[:limit].rstrip()


def sheet_title(title: object, taken: set[str], key: str = "") -> str:
    """A sheet name Excel accepts, unique in the workbook and readable: the table's title
    when it fits in 31 characters, else its short name (SHEET_NAMES), else the title cut
    after a whole word; " (2)", " (3)"... tell apart two that would be the same."""
    name = _clean_sheet_text(title)
    if len(name) > SHEET_NAME_MAX and key in SHEET_NAMES:
        name = _clean_sheet_text(SHEET_NAMES[key])
    name = name or "Sheet"
    base, n = name, 1
    name = _cut_at_word(base, SHEET_NAME_MAX)
    while name.lower() in taken:
        n += 1
        suffix = f" ({n})"
        name = _cut_at_word(base, SHEET_NAME_MAX - len(suffix)) + suffix
    taken.add(name.lower())
    return name


def _write_sheet(sheet, *, table: Table, scope, filters, produced_at):
    bold = Font(bold=True)
    for line in preamble(table=table, scope=scope, filters=filters, produced_at=produced_at):
        sheet.append(line)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    header_row = sheet.max_row + 1
    lines = table_lines(table)
    for line in lines:
        sheet.append(line)
    for cell in sheet[header_row]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if table.total is not None:
        for cell in sheet[sheet.max_row]:
            cell.font = bold
    for i, column in enumerate(table.columns, start=1):
        for row in sheet.iter_rows(
            min_row=header_row + 1, max_row=sheet.max_row, min_col=i, max_col=i
        ):
            cell = row[0]
            if column.kind == "rate" and isinstance(cell.value, int | float | Decimal):
                cell.number_format = "0.0"
            if column.kind != "text":
                cell.alignment = Alignment(horizontal="right")
    notes = table_notes(table)
    if notes:
        sheet.append([])
        for note in notes:
            sheet.append([note])
    sheet.column_dimensions["A"].width = 34
    for letter in "BCDEFGHIJKLMNOP":
        sheet.column_dimensions[letter].width = 16


def tables_xlsx(*, tables: list[Table], scope, filters, produced_at) -> bytes:
    """One sheet per table, in dashboard order."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(table.title, taken, table.key))
        _write_sheet(sheet, table=table, scope=scope, filters=filters, produced_at=produced_at)
    if not tables:
        sheet = workbook.create_sheet(sheet_title(scope.title, taken))
        for line in preamble(table=None, scope=scope, filters=filters, produced_at=produced_at):
            sheet.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
