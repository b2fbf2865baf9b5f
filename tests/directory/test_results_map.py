"""The map beside the public directory's results (issue 15, point 4).

The list is the page; the map repeats it, a pin for each place of each result,
numbered as in the list and linking to the service's page. The tile server is a
setting, and the Content-Security-Policy lets the browser load images from it
and from nowhere else.
"""

import json
import re

import pytest

from directory import postcodes
from tests.accounts.test_settings import run_manage
from tests.directory.conftest import listed
from tests.factories import LocationFactory, ServiceAtLocationFactory

pytestmark = pytest.mark.django_db


def pins(response):
    """The map's points as the page hands them to its script; None when there is no map."""
    found = re.search(
        r'<script id="results-map-points" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(found.group(1)) if found else None


def test_each_result_has_a_numbered_pin_linking_to_its_page(client):
    first = listed(name="Growing group", northing=189800)
    second = listed(name="Walking group", northing=190800)
    response = client.get("/directory/", {"postcode": "CF37 1AB"})
    assert [(p["number"], p["url"]) for p in pins(response)] == [
        (1, f"/directory/services/{first.uuid}/"),
        (2, f"/directory/services/{second.uuid}/"),
    ]
    assert pins(response)[0]["label"].startswith("1: Growing group, Hall ")
    body = response.content.decode()
    assert '<span class="result-number" aria-hidden="true">1</span>' in body
    assert 'data-results-map data-testid="results-map" hidden' in body  # until the script draws it
    assert "/static/vendor/leaflet/leaflet.js" in body
    assert "/static/js/results-map.js" in body


def test_a_service_in_two_places_has_two_pins_with_one_number(client):
    service = listed(name="Choir")
    ServiceAtLocationFactory(service=service, location=LocationFactory(name="Chapel"))
    assert [p["number"] for p in pins(client.get("/directory/"))] == [1, 1]


def test_a_place_known_only_on_the_grid_is_still_pinned(client):
    listed(location=LocationFactory(easting=307200, northing=189800, latitude=None, longitude=None))
    (pin,) = pins(client.get("/directory/"))
    assert pin["lat"] == pytest.approx(51.60, abs=0.01)
    assert pin["lon"] == pytest.approx(-3.34, abs=0.01)


def test_places_known_only_on_the_grid_keep_their_pins_beside_places_with_a_latitude(client):
    grid = {"latitude": None, "longitude": None}
    listed(name="A choir", location=LocationFactory(easting=307200, northing=189800, **grid))
    listed(name="B walk", location=LocationFactory(latitude=53.0, longitude=-4.0))
    listed(name="C garden", location=LocationFactory(easting=318000, northing=175000, **grid))
    listed(name="D lunch", location=LocationFactory(easting=None, northing=None, **grid))
    found = pins(client.get("/directory/"))
    assert [p["number"] for p in found] == [1, 2, 3]
    assert (found[1]["lat"], found[1]["lon"]) == (53.0, -4.0)
    for pin, (easting, northing) in zip(
        [found[0], found[2]], [(307200, 189800), (318000, 175000)], strict=True
    ):
        latitude, longitude = postcodes.grid_to_latlon(easting, northing)
        assert (pin["lat"], pin["lon"]) == (float(latitude), float(longitude))


def test_no_map_when_no_result_has_a_place(client):
    listed(location=LocationFactory(easting=None, northing=None, latitude=None, longitude=None))
    response = client.get("/directory/")
    assert "1 service found" in response.content.decode()
    assert pins(response) is None
    assert "leaflet" not in response.content.decode()


def test_a_deployment_can_turn_the_map_off(client, settings):
    settings.MAP_TILE_URL = ""
    listed(name="Choir")
    response = client.get("/directory/")
    assert "Choir" in response.content.decode()
    assert pins(response) is None


def test_the_tile_server_comes_from_the_settings(client, settings):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "Tiles &copy; Example"
    listed()
    body = client.get("/directory/").content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in body
    assert 'data-tile-attribution="Tiles &amp;copy; Example"' in body


def test_the_second_page_is_numbered_on_from_the_first(client):
    for n in range(23):
        listed(name=f"Group {n:02d}")
    response = client.get("/directory/", {"page": 2})
    assert [p["number"] for p in pins(response)] == [21, 22, 23]


def test_pins_on_the_welsh_page_lead_to_welsh_pages(client):
    service = listed(name="Choir", name_cy="Côr")
    (pin,) = pins(client.get("/cy/directory/"))
    assert pin["url"] == f"/cy/directory/services/{service.uuid}/"
    assert pin["label"].startswith("1: Côr, ")


def test_a_name_cannot_break_out_of_the_map_data(client):
    listed(name="</script><script>alert(1)</script>")
    body = client.get("/directory/").content.decode()
    assert "<script>alert(1)" not in body
    assert pins(client.get("/directory/"))[0]["label"].startswith("1: </script><script>")


def test_the_map_costs_no_query_more_as_results_grow(client, django_assert_max_num_queries):
    def make(count):
        for n in range(count):
            service = listed(name=f"Group {n}", weekdays=[1, 2])
            ServiceAtLocationFactory(service=service, location=LocationFactory())

    make(2)
    postcodes.lookup("CF37 1AB")  # the district goes into the postcode table once, first
    with django_assert_max_num_queries(8) as few:
        assert len(pins(client.get("/directory/", {"postcode": "CF37 1AB"}))) == 4
    make(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(pins(client.get("/directory/", {"postcode": "CF37 1AB"}))) == 34


@pytest.mark.parametrize(
    ("tile_url", "img_src"),
    [
        ("", "img-src 'self' data:;"),
        (
            "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
            "img-src 'self' data: https://*.tiles.example.org;",
        ),
    ],
)
def test_the_policy_allows_images_from_the_tile_server_only(tile_url, img_src):
    show_policy = (
        "from django.test import Client; "
        "print(Client().get('/healthz').headers['Content-Security-Policy'])"
    )
    result = run_manage("shell", "-v0", "-c", show_policy, DEBUG="1", MAP_TILE_URL=tile_url)
    assert result.returncode == 0, result.stderr
    policy = result.stdout.strip().splitlines()[-1]
    assert img_src in policy + ";"


def test_the_default_policy_allows_openstreetmaps_tiles(client):
    policy = client.get("/directory/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy + ";"


def test_a_tile_server_the_policy_cannot_name_stops_the_start():
    result = run_manage("check", DEBUG="1", MAP_TILE_URL="https://{s}tiles.example.org/{z}.png")
    assert result.returncode != 0
    assert "MAP_TILE_URL 'https://{s}tiles.example.org/{z}.png' is not an http(s) address" in (
        result.stderr
    )
