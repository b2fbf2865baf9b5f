"""One service's page: everything a person needs to go."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from directory.models import Contact, Service
from tests.directory.conftest import listed
from tests.factories import LocationFactory, ProviderFactory, ScheduleFactory

pytestmark = pytest.mark.django_db


def page(client, service, language=""):
    return client.get(f"{language}/directory/services/{service.uuid}/")


@pytest.fixture
def growing_group(gardening):
    location = LocationFactory(
        name="Treorchy Community Garden",
        address_1="Allotments off Bute Street",
        city="Treorchy",
        postcode="CF42 6AB",
        step_free_access=True,
        hearing_loop=False,
        accessible_toilet=True,
        accessibility_notes="Level paths.",
    )
    service = listed(
        name="Community growing group",
        name_cy="Grŵp tyfu cymunedol",
        description="Grow vegetables with neighbours.",
        description_cy="Tyfu llysiau gyda chymdogion.",
        provider=ProviderFactory(name="Teg Valley Growing Together"),
        location=location,
        terms=[gardening],
        is_free=True,
        eligibility="Adults in the Teg valley.",
        minimum_age=18,
        how_to_access="Ring us first.",
        welsh_offered=True,
        other_languages="pl",
        access_route=Service.AccessRoute.BOTH,
        takes_direct_referrals=True,
        capacity=Service.Capacity.WAITING_LIST,
        waiting_band=Service.WaitingBand.UNDER_1_MONTH,
        phone="029 2018 0101",
        email="hello@growing.example.org",
        last_reviewed_on=timezone.localdate().replace(year=2026, month=3, day=4),
    )
    ScheduleFactory(
        service=service,
        service_at_location=service.at_locations.get(),
        weekday=2,
        opens_at="10:00",
        closes_at="13:00",
    )
    Contact.objects.create(service=service, name="Bethan Lewis", title="Garden leader")
    return service


def test_a_newcomer_sees_everything_they_need_to_go(client, growing_group):
    response = page(client, growing_group)
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "<h1>Community growing group</h1>",
        "Teg Valley Growing Together",
        "Grow vegetables with neighbours.",
        "Adults in the Teg valley.",
        "Ages 18 and over.",
        "Treorchy Community Garden",
        "Allotments off Bute Street",
        "CF42 6AB",
        "Step-free access",
        "Accessible toilet",
        "Level paths.",
        "Tuesday, 10:00 to 13:00 (Treorchy Community Garden)",
        "Free",
        "Either themselves or through a link worker",
        "Link workers can refer people to it.",
        "Ring us first.",
        "Waiting list: Under 1 month",
        "Offered in Welsh",
        "Also: Polish",
        "029 2018 0101",
        "hello@growing.example.org",
        "Bethan Lewis, Garden leader",
        "Gardening and green space",
        "Last checked on 4 March 2026",
    ]:
        assert text in html, text
    assert 'data-testid="stale-warning"' not in html


def test_a_signposting_only_service_says_so(client):
    service = listed(takes_direct_referrals=False, access_route=Service.AccessRoute.SELF)
    html = page(client, service).content.decode()
    assert "Signposting only: contact the service yourself." in html
    assert "People can join themselves" in html


def test_a_paid_service_shows_its_cost(client):
    service = listed(is_free=False, cost_description="£2 a session")
    assert "£2 a session" in page(client, service).content.decode()


def test_a_listing_not_checked_for_over_a_year_may_be_out_of_date(client):
    service = listed(last_reviewed_on=timezone.localdate() - timedelta(days=400))
    html = page(client, service).content.decode()
    assert "This listing may be out of date" in html


def test_a_listing_never_checked_says_so(client):
    service = listed(last_reviewed_on=None)
    html = page(client, service).content.decode()
    assert "This listing has not been checked yet." in html
    assert "This listing may be out of date" in html


def test_a_paused_service_is_shown_with_a_notice(client):
    service = listed(status=Service.Status.PAUSED)
    response = page(client, service)
    assert response.status_code == 200
    assert "This service is paused at the moment" in response.content.decode()


def test_a_closed_service_is_not_found(client):
    service = listed(status=Service.Status.CLOSED)
    assert page(client, service).status_code == 404


def test_an_unknown_service_is_not_found(client):
    assert client.get(f"/directory/services/{uuid.uuid4()}/").status_code == 404


def test_the_welsh_page_is_in_welsh(client, growing_group):
    html = page(client, growing_group, "/cy").content.decode()
    assert '<html lang="cy">' in html
    assert "<h1>Grŵp tyfu cymunedol</h1>" in html
    assert "Tyfu llysiau gyda chymdogion." in html
    assert "Dydd Mawrth" in html


def test_the_page_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    service = listed(weekdays=[1, 2, 3])
    with django_assert_max_num_queries(8) as few:
        page(client, service)
    for weekday in [4, 5, 6]:
        ScheduleFactory(service=service, weekday=weekday)
    service.at_locations.create(location=LocationFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        page(client, service)
