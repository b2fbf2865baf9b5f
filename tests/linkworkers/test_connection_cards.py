"""The in-case search's compact cards (issue 15, points 3 and 4).

Llinos searches the directory from Glenys's case. Glenys lives at CF10 1AA,
on the grid at 318284, 176230. Each card tells Llinos what she needs to choose
between services without opening them: when, what it costs, how far it is from
Glenys's home, how soon the provider usually replies, and whether it has room.
The note box opens only on the card she chooses.
"""

import contextlib
import re
from datetime import time
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.postcodes import PostcodeError
from directory import postcodes
from directory.services import service_refresh_search
from linkworkers.models import Connection
from tests.factories import (
    ConnectionFactory,
    LocationFactory,
    ScheduleFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

HOME = (318284, 176230)  # CF10 1AA


def garden(name="Community garden", *, metres_north=3000, **fields):
    """A service at one place, `metres_north` of Glenys's home."""
    service = ServiceFactory(name=name, **fields)
    ServiceAtLocationFactory(
        service=service,
        location=LocationFactory(easting=HOME[0], northing=HOME[1] + metres_north),
    )
    return service


def search(client, case, **params):
    service_refresh_search()  # PostgreSQL searches a document the factories do not build
    return client.get(reverse("linkworkers:connections", args=[case.uuid]), {"q": "", **params})


def card(response, service):
    """The HTML of one service's card on the page."""
    html = response.content.decode()
    found = re.search(rf'<li [^>]*id="result-{service.uuid}".*?</li>', html, re.S)
    assert found, f"no card for {service.name}"
    return found.group(0)


def fact(response, service, name):
    """The text of one fact (when, cost, distance, reply-time, capacity) on a card."""
    found = re.search(rf'data-testid="{name}">(.*?)</dd>', card(response, service), re.S)
    assert found, name
    text = re.sub(r"<[^>]+>", "", re.sub(r"<br>", "; ", found.group(1)))
    return re.sub(r"\s+", " ", text).strip()


def open_note_boxes(response):
    """The note boxes showing on the page (a card's <template> holds one that is not shown)."""
    html = re.sub(r"<template.*?</template>", "", response.content.decode(), flags=re.S)
    return re.findall(r'name="service" value="([0-9a-f-]+)"', html)


@pytest.fixture
def llinos(client, link_worker):
    client.force_login(link_worker)
    return client


def test_a_card_says_when_the_service_meets(llinos, in_progress):
    service = garden()
    ScheduleFactory(service=service, weekday=4, opens_at=time(18), closes_at=time(20, 30))
    ScheduleFactory(service=service, weekday=2, opens_at=time(10), closes_at=time(12))
    response = search(llinos, in_progress)
    assert fact(response, service, "when") == "Tuesday 10:00–12:00; Thursday 18:00–20:30"


def test_a_card_without_sessions_says_to_ask(llinos, in_progress):
    service = garden()
    response = search(llinos, in_progress)
    assert fact(response, service, "when") == "Times not listed: ask the provider"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"is_free": True}, "Free"),
        ({"is_free": False, "cost_description": "£2 a session"}, "£2 a session"),
        ({"is_free": False, "cost_description": ""}, "There is a cost"),
    ],
)
def test_a_card_says_what_it_costs(llinos, in_progress, fields, words):
    service = garden(**fields)
    assert fact(search(llinos, in_progress), service, "cost") == words


def test_every_card_says_how_far_it_is_from_home_in_any_order(llinos, in_progress):
    near = garden("Near garden", metres_north=800)
    far = ServiceFactory(name="Far garden")
    ServiceAtLocationFactory(  # 3-4-5: five kilometres
        service=far, location=LocationFactory(easting=HOME[0] + 3000, northing=HOME[1] + 4000)
    )
    # Not ordered by distance, and still every result has one.
    response = search(llinos, in_progress, nearby="")
    assert fact(response, near, "distance") == "800 m (0.5 miles)"
    assert fact(response, far, "distance") == "5.0 km (3.1 miles)"


def test_the_distance_is_to_the_nearest_place_of_a_service(llinos, in_progress):
    service = garden(metres_north=9000)
    ServiceAtLocationFactory(
        service=service, location=LocationFactory(easting=HOME[0], northing=HOME[1] - 2000)
    )
    assert fact(search(llinos, in_progress), service, "distance") == "2.0 km (1.2 miles)"


def test_a_service_with_no_known_place_has_an_unknown_distance(llinos, in_progress):
    service = ServiceFactory(name="Phone befriending")
    ServiceAtLocationFactory(service=service, location=LocationFactory(easting=None, northing=None))
    assert fact(search(llinos, in_progress), service, "distance") == "Distance unknown"


@pytest.mark.parametrize(
    ("postcode", "why"),
    [
        ("CF99 9ZZ", "We could not find the postcode CF99 9ZZ."),
        ("", "The person's record has no postcode."),
    ],
)
def test_an_unknown_home_says_distance_unknown_on_every_card(llinos, in_progress, postcode, why):
    in_progress.person.postcode = postcode
    in_progress.person.save()
    first, second = garden("First garden"), garden("Second garden")
    response = search(llinos, in_progress, nearby="on")
    assert response.status_code == 200
    assert fact(response, first, "distance") == "Distance unknown"
    assert fact(response, second, "distance") == "Distance unknown"
    warning = re.sub(r"\s+", " ", unescape(response.content.decode()))
    assert why in warning
    assert "Distances from the person's home are unknown. Results are not ordered" in warning


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (None, "No replies yet"),
        (0, "Usually replies the same day"),
        (1, "Usually replies within 1 day"),
        (2, "Usually replies within 2 days"),
    ],
)
def test_a_card_says_how_soon_the_provider_usually_replies(llinos, in_progress, days, words):
    service = garden(usual_reply_days=days)
    response = search(llinos, in_progress)
    assert fact(response, service, "reply-time") == words
    assert "0 days" not in response.content.decode()


def test_the_reply_time_comes_with_the_share_accepted(llinos, in_progress):
    service = garden(usual_reply_days=3, accepted_share="0.750")
    assert fact(search(llinos, in_progress), service, "reply-time") == (
        "Usually replies within 3 days; Accepts 75% of referrals."
    )


def test_a_signposting_service_has_no_reply_time(llinos, in_progress):
    service = garden(takes_direct_referrals=False)
    response = search(llinos, in_progress)
    assert fact(response, service, "reply-time") == (
        "Signposting only: the person contacts the service themselves."
    )
    assert fact(response, service, "capacity") == "Open to new people"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"capacity": "open"}, "Taking referrals"),
        (
            {"capacity": "waiting_list", "waiting_band": "1_to_3_months"},
            "Waiting list: 1 to 3 months",
        ),
        ({"capacity": "full"}, "Full"),
    ],
)
def test_a_card_says_whether_there_is_room(llinos, in_progress, fields, words):
    service = garden(**fields)
    assert fact(search(llinos, in_progress), service, "capacity") == words


def test_a_stale_listing_is_flagged_on_its_card(llinos, in_progress):
    service = garden(last_reviewed_on=None)
    assert "This listing may be out of date." in card(search(llinos, in_progress), service)


def test_cards_are_numbered_as_the_pins_of_the_map(llinos, in_progress):
    garden("Near garden", metres_north=500)
    garden("Far garden", metres_north=5000)
    response = search(llinos, in_progress, nearby="on")
    assert [(r.number, r.service.name) for r in response.context["results"]] == [
        (1, "Near garden"),
        (2, "Far garden"),
    ]
    points = response.context["map"]["points"]
    assert [(p["number"], p["label"].split(",")[0]) for p in points] == [
        (1, "1: Near garden"),
        (2, "2: Far garden"),
    ]
    assert points[0]["url"] == reverse(
        "directory:service", args=[response.context["results"][0].service.uuid]
    )


# The note box: only for the service chosen.


def test_no_note_box_is_open_until_a_service_is_chosen(llinos, in_progress):
    garden("First garden")
    garden("Second garden")
    response = search(llinos, in_progress)
    assert open_note_boxes(response) == []
    # Each card has its way in, and its box waiting in a <template> for the script.
    assert response.content.decode().count("data-propose-toggle") == 2
    assert response.content.decode().count("<template data-propose-form>") == 2


def test_choosing_a_service_opens_its_note_box_only(llinos, in_progress):
    first, second = garden("First garden"), garden("Second garden")
    response = search(llinos, in_progress, service=str(second.uuid))
    assert open_note_boxes(response) == [str(second.uuid)]
    assert 'name="note_for_provider"' in re.sub(
        r"<template.*?</template>", "", card(response, second), flags=re.S
    )
    assert 'name="note_for_provider"' not in re.sub(
        r"<template.*?</template>", "", card(response, first), flags=re.S
    )


def test_the_way_in_is_a_link_that_works_without_javascript(llinos, in_progress):
    service = garden()
    response = search(llinos, in_progress, category="")
    toggle = re.search(r"<a [^>]*data-propose-toggle[^>]*>", card(response, service)).group(0)
    href = re.search(r'href="([^"]+)"', toggle).group(1).replace("&amp;", "&")
    assert href.startswith("?") and f"service={service.uuid}" in href and "q=" in href
    assert 'aria-expanded="false"' in toggle


@pytest.mark.parametrize("chosen", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_a_chosen_service_not_in_the_results_opens_nothing(llinos, in_progress, chosen):
    garden()
    response = search(llinos, in_progress, service=chosen)
    assert response.status_code == 200
    assert open_note_boxes(response) == []


def test_the_note_box_keeps_the_search_for_a_refused_note(llinos, in_progress):
    service = garden()
    response = search(llinos, in_progress, service=str(service.uuid))
    action = re.search(
        r'<form method="post" action="([^"]+)" data-testid="propose-form"',
        re.sub(r"<template.*?</template>", "", response.content.decode(), flags=re.S),
    )
    url = action.group(1).replace("&amp;", "&")
    assert "q=" in url and "service=" not in url
    refused = llinos.post(url, {"service": str(service.uuid), "note_for_provider": "x" * 1001})
    assert refused.status_code == 400
    assert not Connection.objects.exists()
    # The results are still there, with the chosen card open, the note kept and the error beside it.
    assert open_note_boxes(refused) == [str(service.uuid)]
    box = re.sub(r"<template.*?</template>", "", card(refused, service), flags=re.S)
    assert "x" * 1001 in box
    assert "is-invalid" in box and "at most 1000 characters" in box


def test_an_already_connected_service_has_no_note_box(llinos, in_progress, link_worker):
    service = garden()
    ConnectionFactory(referral=in_progress, service=service, created_by=link_worker)
    response = search(llinos, in_progress, service=str(service.uuid))
    assert "Already connected" in card(response, service)
    assert "data-propose-toggle" not in card(response, service)
    assert open_note_boxes(response) == []


def test_carys_the_coordinator_sees_no_search_to_propose_from(client, coordinator, in_progress):
    garden()
    client.force_login(coordinator)
    response = search(client, in_progress)
    assert response.status_code == 200
    assert "data-propose-toggle" not in response.content.decode()


def test_the_cards_and_the_map_cost_the_same_whatever_the_results(llinos, in_progress, link_worker):
    def count():
        service_refresh_search()
        url = reverse("linkworkers:connections", args=[in_progress.uuid])
        with CaptureQueriesContext(connection) as queries:
            response = llinos.get(url, {"q": "", "nearby": "on"})
        return (
            len(queries),
            len(response.context["results"]),
            len(response.context["map"]["points"]),
        )

    garden("Garden 0")
    # The person's district goes into the postcode table at its first lookup, once.
    with contextlib.suppress(PostcodeError):
        postcodes.lookup(in_progress.person.postcode)
    first = count()
    for n in range(1, 8):
        service = garden(f"Garden {n}", metres_north=n * 500, usual_reply_days=n)
        ServiceAtLocationFactory(service=service, location=LocationFactory())  # a second place
        ScheduleFactory(service=service, weekday=n % 7 + 1)
        ScheduleFactory(service=service, weekday=(n + 2) % 7 + 1)
        ConnectionFactory(referral=in_progress, service=service, created_by=link_worker)
    again = count()
    assert (first[1:], again[1:]) == ((1, 1), (8, 15))
    assert again[0] == first[0]
