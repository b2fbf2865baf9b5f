"""Scoring each instrument against its published scoring (ONS guidance; Warwick's SWEMWBS table)."""
# ruff: noqa: F811 (fixtures imported from outcome_people are a test's arguments)

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from core.exceptions import ValidationError
from linkworkers.models import Instrument, Item, ScoringMethod
from linkworkers.scoring import instrument_problems, score
from linkworkers.services import instrument_define
from tests.factories import InstrumentFactory, ItemFactory
from tests.linkworkers.outcome_people import (  # noqa: F401
    answers_by_order,
    fast_password_hashing,
    in_english,
    instruments,
    scheme,
    shipped,
)

pytestmark = pytest.mark.django_db

SWEMWBS_DATA = json.loads(
    (Path(apps.get_app_config("linkworkers").path) / "instrument_data" / "swemwbs.json").read_text()
)


def test_ons4_reports_each_of_its_four_items_separately(instruments):
    ons4 = instruments["ons4"]
    result = score(ons4, answers_by_order(ons4, 4, 6, 5, 8))
    assert (result.raw, result.converted) == (None, None)
    assert list(result.per_item.values()) == [4, 6, 5, 8]


def test_ons4_items_run_from_0_to_10_and_only_anxiety_is_lower_is_better(instruments):
    items = list(instruments["ons4"].items.order_by("order"))
    assert [(i.label, i.min_value, i.max_value, i.higher_is_better) for i in items] == [
        ("Life satisfaction", 0, 10, True),
        ("Worthwhile", 0, 10, True),
        ("Happiness", 0, 10, True),
        ("Anxiety", 0, 10, False),
    ]
    assert items[3].text == "Overall, how anxious did you feel yesterday?"
    assert instruments["ons4"].scoring == ScoringMethod.PER_ITEM


@pytest.mark.parametrize(
    ("answers", "total"), [((1, 1, 1), 3), ((3, 3, 3), 9), ((1, 2, 3), 6), ((2, 2, 1), 5)]
)
def test_ucla3_totals_run_from_3_to_9(instruments, answers, total):
    ucla = instruments["ucla3"]
    assert score(ucla, answers_by_order(ucla, *answers)).raw == total


def test_ucla3_uses_the_ons_wording_and_a_lower_total_is_better(instruments):
    ucla = instruments["ucla3"]
    assert [i.text for i in ucla.items.order_by("order")] == [
        "How often do you feel that you lack companionship?",
        "How often do you feel left out?",
        "How often do you feel isolated from others?",
    ]
    assert ucla.items.first().answer_labels["1"]["en"] == "Hardly ever or never"
    assert ucla.higher_is_better is False


def test_the_direct_question_codes_1_often_to_5_never_and_higher_is_better(instruments):
    direct = instruments["loneliness-direct"]
    item = direct.items.get()
    assert (item.min_value, item.max_value) == (1, 5)
    assert (item.answer_labels["1"]["en"], item.answer_labels["5"]["en"]) == (
        "Often or always",
        "Never",
    )
    assert direct.higher_is_better is True
    assert score(direct, {item.pk: 4}).raw == 4


def _swemwbs(scheme):
    items = [
        {"label": f"Item {n}", "text": f"Licensed item {n}", "min_value": 1, "max_value": 5}
        for n in range(1, 8)
    ]
    return instrument_define(
        code="swemwbs", name="SWEMWBS", scoring=SWEMWBS_DATA["scoring"], items=items,
        conversion_table=SWEMWBS_DATA["conversion_table"], scheme=scheme,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "raw", "metric"),
    [
        ((1, 1, 1, 1, 1, 1, 1), 7, "7.00"),
        ((2, 1, 1, 1, 1, 1, 1), 8, "9.51"),
        ((2, 2, 2, 2, 2, 2, 2), 14, "15.32"),
        ((3, 3, 3, 3, 3, 3, 3), 21, "19.25"),
        ((4, 4, 4, 4, 4, 4, 4), 28, "25.03"),
        ((5, 5, 5, 5, 5, 5, 4), 34, "32.55"),
        ((5, 5, 5, 5, 5, 5, 5), 35, "35.00"),
    ],
)
def test_swemwbs_converts_the_raw_total_to_the_published_metric_score(scheme, answers, raw, metric):
    swemwbs = _swemwbs(scheme)
    result = score(swemwbs, answers_by_order(swemwbs, *answers))
    assert (result.raw, result.converted) == (raw, Decimal(metric))
    assert result.value == Decimal(metric)


def test_the_swemwbs_table_covers_every_raw_total_and_rises_throughout():
    table = {int(k): v for k, v in SWEMWBS_DATA["conversion_table"].items()}
    assert sorted(table) == list(range(7, 36))
    values = [table[raw] for raw in range(7, 36)]
    assert values == sorted(values) and len(set(values)) == len(values)


def test_swemwbs_wording_is_not_shipped(instruments):
    assert "swemwbs" not in instruments
    assert SWEMWBS_DATA["items"] == 7  # how many, never what they say


def test_a_reverse_scored_item_counts_backwards_in_a_total(db):
    item = ItemFactory(min_value=1, max_value=5, reverse_scored=True)
    other = ItemFactory(instrument=item.instrument, min_value=1, max_value=5)
    assert score(item.instrument, {item.pk: 5, other.pk: 5}).raw == 6


def test_the_mean_method_gives_the_mean_to_two_places(db):
    instrument = InstrumentFactory(scoring=ScoringMethod.MEAN)
    a, b, c = (ItemFactory(instrument=instrument) for _ in range(3))
    result = score(instrument, {a.pk: 2, b.pk: 2, c.pk: 3})
    assert (result.raw, result.converted) == (7, Decimal("2.33"))


def test_a_table_with_a_gap_is_refused_when_the_instrument_is_defined(scheme):
    table = dict(SWEMWBS_DATA["conversion_table"])
    del table["20"]
    items = [{"label": f"I{n}", "text": f"Q{n}", "min_value": 1, "max_value": 5} for n in range(7)]
    with pytest.raises(ValidationError, match="no score for these totals: 20"):
        instrument_define(code="gappy", name="Gappy", scoring="sum_with_table", items=items,
                          conversion_table=table)  # fmt: skip
    assert not Instrument.objects.filter(code="gappy").exists()


def test_an_item_label_outside_its_range_is_a_problem():
    problems = instrument_problems(
        scoring="sum",
        conversion_table={},
        items=[Item(order=1, min_value=1, max_value=3, answer_labels={"4": {"en": "Always"}})],
    )
    assert problems == ["Item 1: the answer label 4 is outside its range."]


def test_the_shipped_instruments_load_again_without_duplicates(instruments):
    counts = (Instrument.objects.count(), Item.objects.count())
    shipped.load_instruments(apps, None)
    assert (Instrument.objects.count(), Item.objects.count()) == counts
    assert {"ons4", "ucla3", "loneliness-direct"} <= set(instruments)


# The licensed wording arrives through a command, from the scheme's own files.


@pytest.fixture
def wording(tmp_path):
    items = tmp_path / "items.txt"
    items.write_text(
        "# our licensed wording\n" + "\n".join(f"Item wording {n} | Geiriad {n}" for n in range(7))
    )
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(f"Answer {n}" for n in range(1, 6)))
    return str(items), str(answers)


def test_a_licensed_scheme_adds_swemwbs_with_its_own_wording(scheme, wording):
    out = StringIO()
    for _ in range(2):
        call_command("add_swemwbs", "--scheme", scheme.name, "--items-file", wording[0],
                     "--answers-file", wording[1], stdout=out)  # fmt: skip
    swemwbs = Instrument.objects.get(code="swemwbs")
    items = list(swemwbs.items.order_by("order"))
    assert (swemwbs.scheme, swemwbs.scoring, len(items)) == (scheme, "sum_with_table", 7)
    assert (items[0].text, items[0].text_cy, items[0].answer_labels["5"]) == (
        "Item wording 0", "Geiriad 0", {"en": "Answer 5"},
    )  # fmt: skip
    assert swemwbs.conversion_table["35"] == 35.0
    assert "ready for Teg Valley Community Connectors" in out.getvalue()


def test_the_command_refuses_a_file_without_seven_items(scheme, wording, tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("One item\nTwo items\n")
    with pytest.raises(CommandError, match="must hold 7 items, one a line; it has 2"):
        call_command("add_swemwbs", "--scheme", scheme.name, "--items-file", str(short),
                     "--answers-file", wording[1])  # fmt: skip
    assert not Instrument.objects.filter(code="swemwbs").exists()


def test_the_command_refuses_an_unknown_scheme(db, wording):
    with pytest.raises(CommandError, match="No single scheme is called 'Nowhere'"):
        call_command("add_swemwbs", "--scheme", "Nowhere", "--items-file", wording[0],
                     "--answers-file", wording[1])  # fmt: skip
