"""services_search: the one search behind the directory page and the link worker's search in a
case (the Open Referral API reads words the same way). Words: test_search_words.py."""

from datetime import date

import pytest
from django.utils import translation

from directory.models import Service
from directory.postcodes import Place
from directory.selectors import services_search
from directory.services import service_refresh_search
from tests.directory.conftest import listed
from tests.factories import LocationFactory, ProviderFactory, TaxonomyTermFactory

pytestmark = pytest.mark.django_db


def names(services):
    return [service.name for service in services]


def test_it_finds_services_by_a_word_in_the_name():
    listed(name="Community growing group", description="Grow vegetables together.")
    listed(name="Walking football", description="Football at walking pace.")
    assert names(services_search(q="growing")) == ["Community growing group"]


def test_it_finds_services_by_a_word_in_the_welsh_description():
    listed(name="Choir", description="Sing together.", description_cy="Canu gyda'n gilydd.")
    listed(name="Walking football", description="Football at walking pace.")
    assert names(services_search(q="canu")) == ["Choir"]


def test_every_word_must_match():
    listed(name="Community garden", description="Grow vegetables.")
    listed(name="Community choir", description="Sing.")
    assert names(services_search(q="community garden")) == ["Community garden"]


def test_it_finds_services_by_their_provider():
    listed(name="Men's Shed", provider=ProviderFactory(name="Glannau Men's Shed Trust"))
    listed(name="Choir")
    assert names(services_search(q="trust")) == ["Men's Shed"]


def test_it_lists_only_active_services():
    listed(name="Open group")
    listed(name="Paused group", status=Service.Status.PAUSED)
    listed(name="Closed group", status=Service.Status.CLOSED)
    assert names(services_search()) == ["Open group"]


def test_it_stems_english_and_ranks_names_above_descriptions():
    listed(name="Health walks", description="Meet at the garden gate for a walk.")
    listed(name="Gardening club", description="Dig, sow and grow.")
    assert names(services_search(q="gardens")) == ["Gardening club", "Health walks"]


def test_a_minus_word_excludes():
    listed(name="Walking football", description="Football, walking pace.")
    listed(name="Health walks", description="Gentle walking.")
    assert names(services_search(q="walking -football")) == ["Health walks"]


def test_a_category_finds_its_own_services_and_those_of_the_categories_below_it(gardening):
    allotments = TaxonomyTermFactory(taxonomy=gardening.taxonomy, parent=gardening)
    listed(name="Garden", terms=[gardening])
    listed(name="Allotment", terms=[allotments, gardening])
    listed(name="Allotment only", terms=[allotments])
    listed(name="Choir")
    assert names(services_search(category=gardening)) == ["Allotment", "Allotment only", "Garden"]
    assert names(services_search(category=allotments)) == ["Allotment", "Allotment only"]


def test_free_only():
    listed(name="Free group", is_free=True)
    listed(name="Paid group", is_free=False, cost_description="£2")
    assert names(services_search(free_only=True)) == ["Free group"]


def test_a_day_of_the_week_finds_services_meeting_that_day_once_each():
    listed(name="Tuesdays and Thursdays", weekdays=[2, 4])
    listed(name="Two sessions on Tuesday", weekdays=[2, 2])
    listed(name="Mondays", weekdays=[1])
    assert names(services_search(weekday=2)) == [
        "Tuesdays and Thursdays",
        "Two sessions on Tuesday",
    ]


def test_welsh_offered():
    listed(name="Côr", welsh_offered=True)
    listed(name="Choir", welsh_offered=False)
    assert names(services_search(welsh=True)) == ["Côr"]


@pytest.mark.parametrize("flag", ["step_free_access", "hearing_loop", "accessible_toilet"])
def test_accessibility(flag):
    listed(name="Accessible", location=LocationFactory(**{flag: True}))
    listed(name="Not accessible", location=LocationFactory(**{flag: False}))
    assert names(services_search(accessibility=(flag,))) == ["Accessible"]


def test_an_unknown_accessibility_filter_is_refused():
    with pytest.raises(ValueError, match="unknown accessibility filter"):
        services_search(accessibility=("lift",))


def test_filters_combine():
    listed(name="Free on Tuesday in Welsh", is_free=True, weekdays=[2], welsh_offered=True)
    listed(name="Paid on Tuesday in Welsh", is_free=False, weekdays=[2], welsh_offered=True)
    listed(name="Free on Monday in Welsh", is_free=True, weekdays=[1], welsh_offered=True)
    found = services_search(free_only=True, weekday=2, welsh=True)
    assert names(found) == ["Free on Tuesday in Welsh"]


def test_near_a_place_the_nearest_comes_first_with_its_distance_in_metres():
    here = Place("CF37 1AB", 307200, 189800)
    listed(name="Far", easting=307200 + 3000, northing=189800 + 4000)
    listed(name="Near", easting=307200 + 300, northing=189800 + 400)
    listed(name="Nowhere").at_locations.all().delete()
    found = list(services_search(near=here))
    assert names(found) == ["Near", "Far", "Nowhere"]
    assert [s.distance_m for s in found] == [pytest.approx(500), pytest.approx(5000), None]


def test_a_service_in_two_places_is_as_near_as_its_nearest():
    here = Place("CF37 1AB", 307200, 189800)
    two_places = listed(name="Two places", easting=307200 + 6000, northing=189800)
    nearer = LocationFactory(easting=307200, northing=189800 + 1000)
    two_places.at_locations.create(location=nearer)
    listed(name="Middle", easting=307200 + 2000, northing=189800)
    found = list(services_search(near=here))
    assert names(found) == ["Two places", "Middle"]
    assert found[0].distance_m == pytest.approx(1000)


def test_with_a_keyword_and_a_place_the_nearest_match_comes_first():
    here = Place("CF37 1AB", 307200, 189800)
    listed(name="Garden far", description="garden", easting=317200, northing=189800)
    listed(name="Garden near", description="garden", easting=308200, northing=189800)
    listed(name="Choir near", description="sing", easting=307300, northing=189800)
    assert names(services_search(q="garden", near=here)) == ["Garden near", "Garden far"]


def test_a_page_of_results_costs_the_same_number_of_queries_whatever_its_size(
    django_assert_num_queries, gardening
):
    here = Place("CF37 1AB", 307200, 189800)

    def make(count):
        for n in range(count):
            listed(
                name=f"Group {n}", weekdays=[1, 3], terms=[gardening], last_reviewed_on=date.today()
            )

    def show_page():
        for service in services_search(q="group", category=gardening, near=here)[:50]:
            str(service.provider.display_name)
            [term.display_name for term in service.taxonomy_terms.all()]
            [schedule.weekday for schedule in service.schedules.all()]
            [at.location.postcode for at in service.at_locations.all()]

    make(2)
    # the category's (empty) level below; the categories and the vocabulary the words are read
    # against; the nearest places; the services, then categories, sessions, places; the
    # services with no place (after the last with one)
    with django_assert_num_queries(9):
        show_page()
    make(20)
    with django_assert_num_queries(9):
        show_page()


def test_the_search_document_is_kept_by_service_refresh_search():
    service = listed(name="Choir", description="Sing.")
    Service.objects.filter(pk=service.pk).update(name="Garden club")
    service_refresh_search(service_ids=[service.pk])
    assert names(services_search(q="garden")) == ["Garden club"]


def test_in_welsh_services_are_in_the_order_of_their_welsh_names():
    listed(name="Allotment buddies", name_cy="Rhandir")
    listed(name="Choir", name_cy="Canu")
    listed(name="Bowls", name_cy="")
    with translation.override("cy"):
        assert names(services_search()) == ["Bowls", "Choir", "Allotment buddies"]
    assert names(services_search()) == ["Allotment buddies", "Bowls", "Choir"]
