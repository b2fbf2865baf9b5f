"""Filtering and paging /api/oruk/services and /api/oruk/service_at_locations.

Dafydd's service finder asks for what suits one person: a category, an age,
a day and time, near a postcode. Each filter narrows the list (they combine
with AND), and a wrong value gets a problem naming the parameter.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from directory.models import Service
from directory.services import service_refresh_search
from tests.directory.oruk_data import build_small_directory
from tests.directory.oruk_schemas import assert_valid_page
from tests.factories import (
    LocationFactory,
    ScheduleFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
)


@pytest.fixture
def small_directory(db):
    return build_small_directory()


def names(client, url="/api/oruk/services", **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    page = response.json()
    if "service_at_locations" in url:
        assert_valid_page(page, "compiled/service_at_location_list")
        return [item["service"]["name"] for item in page["contents"]]
    assert_valid_page(page, "compiled/service_list")
    return [item["name"] for item in page["contents"]]


def problem(client, url="/api/oruk/services", **params):
    response = client.get(url, params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["title"] == "Invalid query parameter"
    assert body["type"].startswith("https://")
    return body


def test_search_finds_words_in_names_and_descriptions(client, small_directory):
    assert names(client, search="vegetables") == ["Garden club"]
    assert names(client, search="painting") == ["Art for wellbeing"]
    assert names(client, search="juggling") == []


def test_search_finds_welsh_names(client, small_directory):
    assert names(client, search="garddio") == ["Garden club"]


def test_taxonomy_term_filter(client, small_directory):
    assert names(client, taxonomy_term_id=small_directory.arts.uuid) == ["Art for wellbeing"]
    assert names(client, taxonomy_term_id=small_directory.gardening.uuid) == ["Garden club"]


def test_taxonomy_filter(client, small_directory):
    assert names(client, taxonomy_id=small_directory.taxonomy.uuid) == [
        "Art for wellbeing",
        "Garden club",
    ]
    assert names(client, taxonomy_id="5c4d79d7-cc55-470e-9f1f-8cad074e4892") == []


def test_age_filters_follow_the_profile_wording(client, small_directory):
    # minimum_age: services whose minimum age is at least the value.
    assert names(client, minimum_age=17) == ["Garden club"]
    # maximum_age: services whose maximum age is at or below the value; no maximum, no match.
    assert names(client, maximum_age=99) == ["Garden club"]
    assert names(client, maximum_age=98) == []


def test_day_and_time_filters_match_one_session(client, small_directory):
    assert names(client, day="TU") == ["Garden club"]
    assert names(client, day="thursday") == ["Art for wellbeing"]
    assert names(client, start_time="13:00") == ["Art for wellbeing"]
    assert names(client, end_time="12:00") == ["Garden club"]
    # Tuesday's session starts at 10:00, so not "on Tuesday from 13:00".
    assert names(client, day="TU", start_time="13:00") == []


def test_filters_combine_with_and(client, small_directory):
    assert names(client, search="club", taxonomy_term_id=small_directory.arts.uuid) == []
    assert names(client, day="TH", taxonomy_term_id=small_directory.arts.uuid) == [
        "Art for wellbeing"
    ]


def test_modified_after(client, small_directory):
    long_ago = timezone.now() - timedelta(days=30)
    Service.objects.filter(pk=small_directory.art_group.pk).update(updated_at=long_ago)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert names(client, modified_after=since) == ["Garden club"]
    assert names(client, modified_after=(long_ago - timedelta(days=1)).date().isoformat()) == [
        "Art for wellbeing",
        "Garden club",
    ]


def test_an_empty_parameter_counts_as_not_given(client, small_directory):
    assert names(client, day="", taxonomy_id="") == ["Art for wellbeing", "Garden club"]


@pytest.mark.parametrize(
    "parameter, value",
    [
        ("taxonomy_term_id", "gardening"),
        ("taxonomy_id", "42"),
        ("minimum_age", "eighteen"),
        ("maximum_age", "-1"),
        ("start_time", "10 o'clock"),
        ("end_time", "25:00"),
        ("day", "funday"),
        ("modified_after", "last week"),
        ("page", "two"),
    ],
)
def test_a_bad_value_is_a_problem_naming_the_parameter(client, small_directory, parameter, value):
    body = problem(client, **{parameter: value})
    assert [item["name"] for item in body["invalid_params"]] == [parameter]
    assert body["detail"].startswith(f"{parameter}: ")


def test_page_zero_is_a_problem(client, small_directory):
    body = problem(client, page=0)
    assert body["detail"] == "page: Ensure this value is greater than or equal to 1."


def test_per_page_over_the_maximum_is_a_problem(client, small_directory):
    body = problem(client, per_page=201)
    assert body["detail"] == "per_page: Ensure this value is less than or equal to 200."


def test_paging_walks_the_list(client, small_directory):
    first = client.get("/api/oruk/services", {"per_page": 1}).json()
    assert first["total_items"] == 2 and first["total_pages"] == 2
    assert (first["page_number"], first["size"], first["first_page"], first["last_page"]) == (
        1,
        1,
        True,
        False,
    )
    assert first["empty"] is False
    second = client.get("/api/oruk/services", {"per_page": 1, "page": 2}).json()
    assert (second["first_page"], second["last_page"]) == (False, True)
    assert second["contents"][0]["name"] == "Garden club"


def test_a_page_past_the_last_is_empty(client, small_directory):
    page = client.get("/api/oruk/services", {"page": 3, "per_page": 1}).json()
    assert page == {
        "total_items": 2,
        "total_pages": 2,
        "page_number": 3,
        "size": 0,
        "first_page": False,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


def test_no_results_is_one_empty_first_page(client, db):
    page = client.get("/api/oruk/services").json()
    assert (page["total_items"], page["total_pages"], page["first_page"], page["empty"]) == (
        0,
        0,
        True,
        True,
    )


def test_service_at_locations_nearest_first_from_a_postcode(client, small_directory):
    cardiff = LocationFactory(postcode="CF24 0AA", easting=319000, northing=176780)
    ServiceAtLocationFactory(service=small_directory.garden_club, location=cardiff)
    found = client.get("/api/oruk/service_at_locations", {"postcode": "cf101ep"}).json()
    assert [item["location"]["id"] for item in found["contents"]] == [
        str(cardiff.uuid),  # 1.2 km
        str(small_directory.garden.uuid),  # 1.4 km
        str(small_directory.hall.uuid),  # Newport, 18 km
    ]


def test_proximity_keeps_what_is_within_so_many_metres(client, small_directory):
    within_2km = names(
        client, "/api/oruk/service_at_locations", postcode="CF10 1EP", proximity=2000
    )
    assert within_2km == ["Garden club"]
    within_20km = names(
        client, "/api/oruk/service_at_locations", postcode="CF10 1EP", proximity=20000
    )
    assert within_20km == ["Garden club", "Art for wellbeing"]


def test_locations_without_a_position_come_last_and_never_within_a_proximity(
    client, small_directory
):
    nowhere = LocationFactory(easting=None, northing=None, latitude=None, longitude=None)
    ServiceAtLocationFactory(service=small_directory.garden_club, location=nowhere)
    ordered = client.get("/api/oruk/service_at_locations", {"postcode": "CF10 1EP"}).json()
    assert ordered["contents"][-1]["location"]["id"] == str(nowhere.uuid)
    near = client.get(
        "/api/oruk/service_at_locations", {"postcode": "CF10 1EP", "proximity": 100000}
    ).json()
    assert str(nowhere.uuid) not in [item["location"]["id"] for item in near["contents"]]


def test_service_at_locations_take_the_service_filters(client, small_directory):
    assert names(client, "/api/oruk/service_at_locations", day="TH") == ["Art for wellbeing"]


@pytest.mark.parametrize(
    "params, parameter, detail",
    [
        ({"postcode": "CF99 9ZZ"}, "postcode", "We could not find the postcode CF99 9ZZ."),
        ({"postcode": "XYZ"}, "postcode", "“XYZ” is not a UK postcode."),
        ({"proximity": "1000"}, "proximity", "Give a postcode to measure the proximity from."),
        ({"postcode": "CF10 1EP", "proximity": "far"}, "proximity", "A valid number"),
        ({"postcode": "CF10 1EP", "proximity": "0"}, "proximity", "greater than or equal to 1"),
    ],
)
def test_bad_postcode_or_proximity_is_a_problem(client, small_directory, params, parameter, detail):
    body = problem(client, "/api/oruk/service_at_locations", **params)
    assert body["invalid_params"][0]["name"] == parameter
    assert detail in body["detail"]


def _more_services(count):
    for _ in range(count):
        service = ServiceFactory()
        service.taxonomy_terms.set([])
        ScheduleFactory(service=service)
        ServiceAtLocationFactory(service=service)


@pytest.mark.parametrize(
    "url, queries",
    [
        ("/api/oruk/services", 2),
        ("/api/oruk/service_at_locations", 2),
        ("/api/oruk/organizations", 2),
        ("/api/oruk/taxonomies", 2),
        ("/api/oruk/taxonomy_terms", 2),
    ],
)
def test_list_query_counts_do_not_grow_with_the_page(
    client, small_directory, django_assert_num_queries, url, queries
):
    _more_services(3)
    with django_assert_num_queries(queries):
        small = client.get(url, {"per_page": 2})
    _more_services(10)
    with django_assert_num_queries(queries):
        large = client.get(url, {"per_page": 200})
    assert small.status_code == large.status_code == 200
    assert len(large.json()["contents"]) > len(small.json()["contents"]) or url.endswith(
        "taxonomies"
    )


def test_a_full_service_takes_the_same_queries_however_much_it_holds(
    client, small_directory, django_assert_num_queries
):
    club = small_directory.garden_club
    with django_assert_num_queries(5):
        client.get(f"/api/oruk/services/{club.uuid}")
    for _ in range(4):
        ScheduleFactory(service=club)
        ServiceAtLocationFactory(service=club)
    with django_assert_num_queries(5):
        client.get(f"/api/oruk/services/{club.uuid}")


def test_other_detail_endpoints_take_the_same_queries_however_much_they_hold(
    client, small_directory, django_assert_num_queries
):
    club = small_directory.garden_club
    row = club.at_locations.get()
    urls = {
        f"/api/oruk/service_at_locations/{row.uuid}": 4,
        f"/api/oruk/organizations/{small_directory.provider.uuid}": 2,
        f"/api/oruk/taxonomies/{small_directory.taxonomy.uuid}": 2,
    }
    for url, queries in urls.items():
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
    _more_services(3)
    for _ in range(3):
        ScheduleFactory(service=club, service_at_location=row)
        ServiceFactory(provider=small_directory.provider)
    for url, queries in urls.items():
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "path", ["services", "service_at_locations", "taxonomies", "taxonomy_terms", "organizations"]
)
def test_every_list_pages_the_same_way_at_the_edges(client, small_directory, path):
    url = f"/api/oruk/{path}"
    assert problem(client, url, page=0)["invalid_params"][0]["name"] == "page"
    assert problem(client, url, per_page=201)["invalid_params"][0]["name"] == "per_page"
    past = client.get(url, {"page": 99}).json()
    assert (past["contents"], past["empty"], past["last_page"], past["page_number"]) == (
        [],
        True,
        True,
        99,
    )
    assert client.get(url, {"per_page": 200}).json()["last_page"] is True


def test_search_stems_ranks_and_leaves_out_minus_words(client, small_directory):
    allotment = ServiceFactory(name="Allotment friends", description="We meet in the gardens.")
    service_refresh_search(service_ids=[allotment.pk])
    # The name outranks the description, whatever the alphabet says.
    assert names(client, search="gardening") == ["Garden club", "Allotment friends"]
    assert names(client, search="garden -club") == ["Allotment friends"]
    assert names(client, search='"clwb garddio"') == ["Garden club"]


def test_search_is_the_directory_s_own_search(client, small_directory):
    """Need words, spelling and order: the same answer as the directory page gives."""
    from directory.selectors import services_search

    arts = small_directory.arts
    arts.need_words = "lonely\nisolation"
    arts.save()
    active = set(Service.objects.filter(status="active").values_list("name", flat=True))
    for typed in ("isolation", "lonley", "gardning", "garddio", "painting"):
        page = [service.name for service in services_search(q=typed)[:50]]
        # The API also serves paused services (as temporarily closed); the page does not.
        assert [name for name in names(client, search=typed) if name in active] == page, typed
    assert names(client, search="isolation") == ["Art for wellbeing"]


def test_a_search_serves_its_best_matches_up_to_the_limit(client, small_directory, monkeypatch):
    """A search counts and serves its first SEARCH_LIMIT matches (README, "Open Referral
    API"); a plain listing, which a harvester walks, still counts every service."""
    from directory import oruk_selectors

    extra = [ServiceFactory(name=f"Gardening group {n}") for n in range(4)]
    service_refresh_search(service_ids=[service.pk for service in extra])
    everything = names(client, search="garden", per_page=50)
    assert len(everything) >= 4
    monkeypatch.setattr(oruk_selectors, "SEARCH_LIMIT", 3)

    first = client.get("/api/oruk/services", {"search": "garden", "per_page": 2}).json()
    assert_valid_page(first, "compiled/service_list")
    assert (first["total_items"], first["total_pages"], first["last_page"]) == (3, 2, False)
    second = client.get("/api/oruk/services", {"search": "garden", "per_page": 2, "page": 2})
    second = second.json()
    assert (second["size"], second["last_page"]) == (1, True)
    served = [item["name"] for item in first["contents"] + second["contents"]]
    assert served == everything[:3]  # the best three, in the unlimited order
    past = client.get("/api/oruk/services", {"search": "garden", "per_page": 2, "page": 3})
    assert past.json()["empty"] is True

    # Nearest first from a postcode is a search too; the plain listing is not.
    near = client.get("/api/oruk/service_at_locations", {"postcode": "CF10 1EP"}).json()
    assert near["total_items"] <= 3
    listing = client.get("/api/oruk/services", {"per_page": 1}).json()
    assert listing["total_items"] == Service.objects.filter(status__in=["active", "paused"]).count()
    assert client.get("/api/oruk/").json()["search_results_limit"] == 3
