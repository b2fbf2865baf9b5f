"""Catrin asks for every month window, source and area of a year, and subtracts.

The differencing attack of README "Statistics" (the threat model), run
through the same form, selector and publishing the dashboard uses: every
published cell of "Referrals received by month and source" for every window
of 2025, every source and every area, solved as a system of constraints
(tests/reporting/differencing.py). With rounding and "<5" alone it pins the
hidden counts; with the cell key method it pins none, and the same records
always show the same figure however the question was put.
"""

import csv
import io
import random
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from referrals.models import SourceKind
from reporting.forms import DashboardFilterForm
from reporting.selectors import reporting_scope_for
from reporting.selectors.referrals import referrals_by_month
from reporting.services import rollup_full
from reporting.tables import SUPPRESSED
from tests.factories import OrganisationFactory, PersonFactory, ReferralFactory, UserFactory
from tests.reporting.differencing import ALL, Inverse, Knowledge, pinned, windows

pytestmark = pytest.mark.django_db

YEAR, MONTHS = 2025, 12
SOURCES = [kind.value for kind in SourceKind]  # the page lists them all; some stay empty
# Who refers from where: GP practices and housing in both clusters, self-referrals count in
# the board's own area (which no filter picks out alone: only "all" minus the clusters).
REFERRERS = {"upper": ["gp", "housing"], "lower": ["gp", "housing"], "board": ["self"]}
AREAS = list(REFERRERS)


def hidden_counts(seed: int) -> dict[tuple[int, str, str], int]:
    """(month, source, area) -> referrals: many of 1 to 4, some of 6 to 12, some none."""
    draw = random.Random(seed)
    return {
        (month, source, area): draw.choice([0, 1, 2, 3, 4, 1, 2, 3, 6, 9, 12])
        for month in range(MONTHS)
        for area, sources in REFERRERS.items()
        for source in sources
    }


@pytest.fixture
def year(scheme, board, upper, lower):
    """A year of referrals to the Teg Valley scheme, each with a fixed uuid (so fixed keys)."""
    person = PersonFactory()
    referrers = {}
    for name, area in (("upper", upper), ("lower", lower)):
        practice = OrganisationFactory(area=area)
        referrers[name] = {
            "referring_organisation": practice,
            "referring_user": UserFactory(organisation=practice),
            "area": area,
        }
    referrers["board"] = {"referring_organisation": None, "referring_user": None, "area": board}
    counts = hidden_counts(seed=2025)
    number = 0
    for (month, source, area), count in counts.items():
        for day in range(1, count + 1):
            number += 1
            ReferralFactory(
                uuid=uuid.UUID(int=number),
                person=person,
                scheme=scheme,
                source_kind=source,
                received_at=datetime(YEAR, month + 1, day, 12, tzinfo=UTC),
                **referrers[area],
            )
    return counts


def true_count(counts):
    def count(source: str, area: str, month: int) -> int:
        return sum(
            n
            for (m, s, a), n in counts.items()
            if m == month and source in (s, ALL) and area in (a, ALL)
        )

    return count


def ask_everything(commissioner, upper, lower, months: int = MONTHS) -> dict[tuple, object]:
    """Every published cell of the month table, for every window (of the first `months`),
    source and area filter, by the referrals it counts: (first month, last month, source, area).
    """
    scope = reporting_scope_for(commissioner)
    published: dict[tuple, object] = {}
    for source in ["", *SOURCES]:
        for area_name, area in ((ALL, None), ("upper", upper), ("lower", lower)):
            # The filters as the dashboard's form makes them; the windows vary only the months.
            form = DashboardFilterForm(
                {
                    "start": f"{YEAR}-01",
                    "end": f"{YEAR}-{months:02d}",
                    "area": area.pk if area else "",
                    "source_kind": source,
                },
                scope=scope,
            )
            assert form.is_valid(), form.errors
            asked = form.filters()
            for first, last in windows(months):
                filters = replace(
                    asked, start=date(YEAR, first + 1, 1), end=date(YEAR, last + 1, 1)
                )
                table = referrals_by_month(scope, filters, suppress=True)
                keys = table.column_keys()[1:]

                def source_of(key: str, source: str = source) -> str:
                    return (source or ALL) if key == "total" else key

                cells = [
                    ((first + offset, first + offset), row) for offset, row in enumerate(table.rows)
                ]
                assert table.total is not None
                cells.append(((first, last), table.total))
                for window, row in cells:
                    for key, value in zip(keys, row[1:], strict=True):
                        cell = (*window, source_of(key), area_name)
                        # The same referrals show the same figure, whichever question showed them.
                        assert published.setdefault(cell, value) == value, cell
    return published


def attack(published, counts):
    inverse = Inverse()
    knowledge = Knowledge(months=MONTHS, sources=SOURCES, areas=AREAS)
    for (first, last, source, area), value in published.items():
        knowledge.learn(source, area, (first, last), *inverse(value))
    knowledge.solve()
    return pinned(knowledge, true_count(counts))


def test_rounding_and_less_than_five_alone_give_the_hidden_counts_away(
    year, commissioner, upper, lower, settings
):
    """The attack works: without the noise (the protection before the cell key method) it
    solves most hidden counts exactly, as the issue found."""
    settings.STATISTICS_PERTURBATION = False
    rollup_full()
    found, hidden = attack(ask_everything(commissioner, upper, lower), year)
    assert hidden > 60
    assert len(found) > hidden * 3 // 4


@pytest.mark.parametrize("secret", ["Wm3-Hs8Qd1Zr6Tk9Pv2Lx5", "a different deployment's secret"])
def test_with_the_cell_key_method_no_hidden_count_can_be_worked_out(
    year, commissioner, upper, lower, settings, secret
):
    settings.STATISTICS_CELL_KEY_SECRET = secret
    rollup_full()
    published = ask_everything(commissioner, upper, lower)
    assert SUPPRESSED in published.values()
    found, hidden = attack(published, year)
    assert hidden > 60
    assert found == []


def test_the_figures_over_http_are_the_ones_the_attack_used(
    client, year, commissioner, upper, lower
):
    """What Catrin downloads is what the selector published: the same figure for the same
    referrals, whether asked for the quarter or month by month."""
    rollup_full()
    by_selector = ask_everything(commissioner, upper, lower, months=3)
    client.force_login(commissioner)
    for first, last in windows(3):
        response = client.get(
            "/reporting/export/referrals_by_month.csv",
            {"start": f"{YEAR}-{first + 1:02d}", "end": f"{YEAR}-{last + 1:02d}"},
        )
        assert response.status_code == 200
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        header = next(i for i, line in enumerate(lines) if line[:1] == ["Month"])
        total_column = lines[header].index("Total")
        body = lines[header + 1 : header + 3 + last - first]
        for offset, line in enumerate(body[:-1]):
            month = first + offset
            assert line[total_column] == str(by_selector[month, month, ALL, ALL])
        assert body[-1][0] == "Total"
        assert body[-1][total_column] == str(by_selector[first, last, ALL, ALL])


def test_asking_again_after_a_full_rebuild_gives_the_same_figures(year, commissioner, upper, lower):
    """Keys come from the uuids and the secret, so a rebuild cannot give a fresh draw of the
    noise to average over."""
    rollup_full()
    before = ask_everything(commissioner, upper, lower, months=3)
    rollup_full()
    assert ask_everything(commissioner, upper, lower, months=3) == before
