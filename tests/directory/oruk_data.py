"""A small directory for the ORUK API and import/export tests."""

from dataclasses import dataclass

from directory.models import Contact, Service
from directory.services import service_refresh_search
from tests.factories import (
    LocationFactory,
    ProviderFactory,
    ScheduleFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    TaxonomyFactory,
    TaxonomyTermFactory,
)


@dataclass
class SmallDirectory:
    taxonomy: object
    gardening: object
    community_gardens: object
    arts: object
    provider: object
    garden: object
    hall: object
    garden_club: Service
    art_group: Service
    closed_walks: Service


def build_small_directory() -> SmallDirectory:
    taxonomy = TaxonomyFactory(name="Social prescribing categories", description="Our categories")
    gardening = TaxonomyTermFactory(
        taxonomy=taxonomy, code="gardening", name="Gardening and green space"
    )
    community_gardens = TaxonomyTermFactory(
        taxonomy=taxonomy, code="community-gardens", name="Community gardens", parent=gardening
    )
    arts = TaxonomyTermFactory(taxonomy=taxonomy, code="arts", name="Arts and creativity")
    provider = ProviderFactory(
        name="Teg Valley Growing Together",
        description="Growing food and friendships.",
        email="hello@tegvalley.example.org",
        website="https://tegvalley.example.org",
        phone="029 2000 0000",
        charity_number="1234567",
    )
    garden = LocationFactory(
        provider=provider,
        name="Bute Park community garden",
        address_1="North Road",
        city="Cardiff",
        postcode="CF10 3NQ",
        easting=317989,
        northing=177266,
        latitude="51.488100",
        longitude="-3.182700",
        local_authority="W06000015",
        step_free_access=True,
        accessibility_notes="Raised beds for wheelchair users.",
    )
    hall = LocationFactory(
        provider=provider,
        name="Newport Riverside hall",
        postcode="NP20 1PA",
        easting=331255,
        northing=187879,
        latitude="51.588000",
        longitude="-2.995000",
        local_authority="W06000022",
    )
    garden_club = ServiceFactory(
        provider=provider,
        name="Garden club",
        name_cy="Clwb garddio",
        description="Grow vegetables with neighbours on Tuesday mornings.",
        url="https://tegvalley.example.org/garden-club",
        email="garden@tegvalley.example.org",
        phone="029 2000 0001",
        eligibility="Adults of any age.",
        how_to_access="Come along, or ask your link worker.",
        minimum_age=18,
        maximum_age=99,
        welsh_offered=True,
        other_languages="pl",
    )
    garden_club.taxonomy_terms.set([gardening, community_gardens])
    at_garden = ServiceAtLocationFactory(service=garden_club, location=garden)
    ScheduleFactory(
        service=garden_club,
        service_at_location=at_garden,
        weekday=2,
        opens_at="10:00",
        closes_at="12:00",
    )
    Contact.objects.create(
        service=garden_club, name="Siân Evans", title="Garden lead", email="sian@example.org"
    )
    art_group = ServiceFactory(
        provider=provider,
        name="Art for wellbeing",
        description="Painting and drawing for beginners.",
        status=Service.Status.PAUSED,
        is_free=False,
        cost_description="£2 a session",
        minimum_age=16,
        capacity=Service.Capacity.WAITING_LIST,
        waiting_band=Service.WaitingBand.ONE_TO_3_MONTHS,
    )
    art_group.taxonomy_terms.set([arts])
    ServiceAtLocationFactory(service=art_group, location=hall)
    ScheduleFactory(service=art_group, weekday=4, opens_at="14:00", closes_at="16:00")
    closed_walks = ServiceFactory(
        provider=provider, name="Old walking group", status=Service.Status.CLOSED
    )
    closed_walks.taxonomy_terms.set([gardening])
    ServiceAtLocationFactory(service=closed_walks, location=garden)
    service_refresh_search()
    return SmallDirectory(
        taxonomy=taxonomy,
        gardening=gardening,
        community_gardens=community_gardens,
        arts=arts,
        provider=provider,
        garden=garden,
        hall=hall,
        garden_club=garden_club,
        art_group=art_group,
        closed_walks=closed_walks,
    )
