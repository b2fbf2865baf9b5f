"""The judged set (bench/search_quality.py) keeps the search's quality above a floor.

`make bench` prints the figures on either database; this keeps them from slipping on
the one the suite runs on (SQLite locally, PostgreSQL in CI).
"""

from io import StringIO

import pytest

from bench.search_quality import JUDGED, MRR_FLOOR, RECALL_FLOOR, measure, report
from directory import demo

pytestmark = pytest.mark.django_db


def test_the_judged_set_is_large_and_covers_every_kind_of_query():
    assert len(JUDGED) >= 60
    kinds = {judged.kind for judged in JUDGED}
    assert kinds == {"activity", "need", "place", "misspelling", "welsh"}
    assert len({judged.query for judged in JUDGED}) == len(JUDGED)


def test_the_demo_directory_is_found_as_people_type_it():
    demo.seed(StringIO())
    quality = measure()
    assert quality.recall >= RECALL_FLOOR, report(quality)
    assert quality.mrr >= MRR_FLOOR, report(quality)


def test_gardening_finds_the_eight_gardening_groups_in_both_languages():
    demo.seed(StringIO())
    from directory.models import TaxonomyTerm
    from directory.selectors import services_search

    gardening = set(TaxonomyTerm.objects.get(code="gardening-green-space").services.all())
    assert len(gardening) == 8
    for typed in ("gardening", "garddio"):
        assert set(services_search(q=typed)[:20]) == gardening, typed
