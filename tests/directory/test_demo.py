from io import StringIO

import pytest
from django.core.management import call_command

from directory import postcodes
from directory.models import Location, Provider, Schedule, Service, TaxonomyTerm
from directory.selectors import services_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(demo_data, settings):
    settings.DEBUG = True  # for the tests that run seed_demo again


def test_it_lists_about_sixty_services_in_every_category_in_both_languages(seeded):
    services = Service.objects.all()
    assert 55 <= services.count() <= 70
    assert not services.filter(name_cy="").exists()
    assert not services.filter(description_cy="").exists()
    for term in TaxonomyTerm.objects.filter(parent=None):
        assert term.name_cy
        assert services.filter(taxonomy_terms=term).exists(), term.code


def test_its_places_are_real_postcodes_in_south_wales(seeded):
    for location in Location.objects.all():
        place = postcodes.lookup(location.postcode)
        assert (location.easting, location.northing) == (place.easting, place.northing)
        assert place.local_authority.startswith("W06")


def test_it_varies_what_people_filter_on(seeded):
    services = Service.objects.all()
    assert services.filter(is_free=True).exists() and services.filter(is_free=False).exists()
    assert services.filter(welsh_offered=True).exists()
    assert services.filter(takes_direct_referrals=False).exists()
    assert services.filter(capacity="waiting_list").exists()
    assert len([s for s in services if s.is_stale]) >= 3
    assert Schedule.objects.values("weekday").distinct().count() >= 6


def test_the_provider_login_maintains_teg_valley_growing_together_with_a_free_gardening_group(
    seeded,
):
    provider = Provider.objects.get(name="Teg Valley Growing Together")
    assert provider.organisation.name == "Teg Valley Growing Together"
    assert provider.organisation.users.filter(username="provider").exists()
    assert provider.services.count() >= 3
    gardening = TaxonomyTerm.objects.get(code="gardening-green-space")
    assert provider.services.filter(is_free=True, taxonomy_terms=gardening).exists()


def test_a_free_gardening_group_can_be_found_near_pontypridd(seeded):
    gardening = TaxonomyTerm.objects.get(code="gardening-green-space")
    found = list(
        services_search(category=gardening, free_only=True, near=postcodes.lookup("CF37 1AB"))
    )
    nearest = [service.name for service in found if service.distance_m < 1000]
    assert "Community growing group, Pontypridd" in nearest


def test_running_it_twice_adds_nothing(seeded):
    counts = [m.objects.count() for m in (Service, Provider, Location, Schedule, TaxonomyTerm)]
    call_command("seed_demo", stdout=StringIO())
    assert [
        m.objects.count() for m in (Service, Provider, Location, Schedule, TaxonomyTerm)
    ] == counts
