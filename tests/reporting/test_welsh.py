"""Welsh everywhere on the dashboard and in its downloads: no English label is left.

The Welsh catalogue is the lead's to write (locale/), so the first stories use a
stand-in for it: every string asked for in Welsh comes back as {cy|...|cy}. A
label printed without going through gettext in the request's language (one
translated once, at import, in English) stays bare, and the stories find it.
The last story reads the real catalogue and waits for the translations.
"""

import csv
import io
import re
from datetime import date
from html import unescape

import pytest
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import trans_real
from openpyxl import load_workbook

from reporting import exports
from reporting.selectors import Filters, dashboard_tables, headline_figures, reporting_scope_for
from reporting.selectors.referrals import BREAKDOWNS, FUNNEL
from reporting.services import rollup_full

pytestmark = pytest.mark.django_db

QUERY = "?start=2026-03&end=2026-04"
START, END = "{cy|", "|cy}"
# Tables whose first column names things (areas, schemes, categories, people, instruments):
# data, not labels, so their rows are not looked for.
NAMED_ROWS = {
    "referrals_by_area",
    "referrals_by_scheme",
    "connections_by_category",
    "connections_by_provider",
    "unmet_needs",
    "unmet_needs_by_area",
    "caseload",
    "outcomes",
}


@pytest.fixture
def stand_in_catalogue(monkeypatch):
    """Welsh as {cy|English|cy}, for every string, wherever it is translated."""
    gettext, ngettext = trans_real.DjangoTranslation.gettext, trans_real.DjangoTranslation.ngettext

    def welsh_gettext(self, message):
        if self.language() != "cy":
            return gettext(self, message)
        # pgettext: keep the context out, or it would take the text for untranslated.
        message = message.split(trans_real.CONTEXT_SEPARATOR)[-1]
        return f"{START}{message}{END}"

    def welsh_ngettext(self, singular, plural, number):
        if self.language() != "cy":
            return ngettext(self, singular, plural, number)
        chosen = (singular if number == 1 else plural).split(trans_real.CONTEXT_SEPARATOR)[-1]
        return f"{START}{chosen}{END}"

    monkeypatch.setattr(trans_real.DjangoTranslation, "gettext", welsh_gettext)
    monkeypatch.setattr(trans_real.DjangoTranslation, "ngettext", welsh_ngettext)


def untranslated(text: str) -> str:
    """`text` less every stand-in Welsh string (which may hold others): what was not translated."""
    kept, depth, i = [], 0, 0
    while i < len(text):
        if text.startswith(START, i):
            depth, i = depth + 1, i + len(START)
        elif depth and text.startswith(END, i):
            depth, i = depth - 1, i + len(END)
        else:
            if not depth:
                kept.append(text[i])
            i += 1
    return "".join(kept)


def english_labels(user) -> set[str]:
    """Every label the dashboard's tables and headline print for `user`, in English."""
    with translation.override("en"):
        scope = reporting_scope_for(user)
        filters = Filters(
            start=dashboard_month(3), end=dashboard_month(4), area_ids=set(scope.area_ids)
        )
        tables = dashboard_tables(scope=scope, filters=filters)
        headline = headline_figures(
            scope=scope, filters=filters, tables=tables, suppress=not scope.exact
        )
        labels = {figure.label for figure in headline.figures}
        labels |= {str(label) for label, _value in filters.described()}
        labels |= {str(name) for name in exports.SHEET_NAMES.values()}
        labels |= {"Counted for", "Figures as at"}
        for table in tables:
            labels |= {str(table.title), str(table.sentence)}
            labels |= {str(column.label) for column in table.columns}
            labels |= {str(note) for note in table.notes}
            if table.total:
                labels.add(str(table.total[0]))
            if table.key not in NAMED_ROWS:
                labels |= {str(row[0]) for row in table.rows}
    return {label for label in labels if re.search(r"[A-Za-z]{2}", label)}


def dashboard_month(month):
    return date(2026, month, 1)


def english_left(text: str, labels: set[str]) -> list[str]:
    bare = untranslated(unescape(text))
    return sorted(label for label in labels if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", bare))


@pytest.fixture
def figures(known_data):
    rollup_full()


def test_the_labels_are_read_in_each_requests_language(stand_in_catalogue):
    """Module-level labels are lazy: translated when read, not once at import."""
    assert all(isinstance(label, Promise) for _key, label in FUNNEL)
    assert all(isinstance(title, Promise) for _dimension, _key, title in BREAKDOWNS)
    assert all(isinstance(name, Promise) for name in exports.SHEET_NAMES.values())
    with translation.override("cy"):
        assert [str(label) for _key, label in FUNNEL][-1] == (
            "{cy|Connected, then closed as completed|cy}"
        )
    with translation.override("en"):
        assert [str(label) for _key, label in FUNNEL][-1] == "Connected, then closed as completed"


@pytest.mark.parametrize("person", ["coordinator", "commissioner"])
def test_the_welsh_dashboard_has_no_english_label_left(
    client, request, person, figures, stand_in_catalogue
):
    user = request.getfixturevalue(person)
    labels = english_labels(user)
    # The labels issue 14 found in English on /cy/reporting/, among the rest.
    assert {"Connected to a service", "Referrals by gender", "Reasons for referral"} <= labels
    client.force_login(user)
    with translation.override("en"):
        html = client.get(f"/cy/reporting/{QUERY}").content.decode()
    assert '<html lang="cy">' in html
    assert f"{START}Connected to a service{END}" in html
    assert english_left(html, labels) == []


def test_the_welsh_downloads_have_no_english_label_left(
    client, coordinator, figures, stand_in_catalogue
):
    labels = english_labels(coordinator)
    client.force_login(coordinator)
    with translation.override("en"):
        keys = [table.key for table in dashboard_tables(
            scope=reporting_scope_for(coordinator),
            filters=Filters(start=dashboard_month(3), end=dashboard_month(4)),
        )]  # fmt: skip
        files = {key: client.get(f"/cy/reporting/export/{key}.csv{QUERY}") for key in keys}
        book = client.get(f"/cy/reporting/export/all.xlsx{QUERY}")
    for key, response in files.items():
        text = response.content.decode("utf-8-sig")
        assert list(csv.reader(io.StringIO(text)))[0][0].startswith(START), key
        assert english_left(text, labels) == [], key
    workbook = load_workbook(io.BytesIO(book.content))
    assert all(name.startswith(START) for name in workbook.sheetnames), workbook.sheetnames
    cells = "\n".join(
        str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True)
        for cell in row if cell is not None
    )  # fmt: skip
    assert english_left(cells, labels) == []


def test_the_english_dashboard_is_untouched_by_the_stand_in(
    client, coordinator, figures, stand_in_catalogue
):
    client.force_login(coordinator)
    html = client.get(f"/reporting/{QUERY}").content.decode()
    assert START not in html
    assert "Connected to a service" in html


def test_with_the_real_catalogue_no_english_label_is_left(client, coordinator, figures):
    labels = english_labels(coordinator)
    client.force_login(coordinator)
    with translation.override("en"):
        html = client.get(f"/cy/reporting/{QUERY}").content.decode()
        csv_text = client.get(f"/cy/reporting/export/funnel.csv{QUERY}").content.decode()
    assert english_left(html, labels) == []
    assert english_left(csv_text, labels) == []
