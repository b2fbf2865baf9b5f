"""The headers on every page that shows a person (issue 11, finding 8; README, "Security").

Whoever opens Glenys's record, the answer tells every browser and proxy to
keep no copy (`Cache-Control: no-store`), forbids inline script and style
(Content-Security-Policy), switches off the camera, microphone and the like
(Permissions-Policy), and may not be framed. An error answer says the same.
"""

import uuid

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

OFF = ["camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"]


def assert_personal_data_headers(response):
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'",
                      "form-action 'self'"]:  # fmt: skip
        assert directive in policy
    for feature in OFF:
        assert feature in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


PAGES = [
    ("referrer", lambda case: reverse("referrals:detail", args=[case.uuid])),
    ("referrer", lambda case: reverse("referrals:list")),
    ("coordinator", lambda case: reverse("referrals:triage")),
    ("coordinator", lambda case: reverse("referrals:detail", args=[case.uuid])),
    ("coordinator", lambda case: reverse("linkworkers:waiting")),
    ("link_worker", lambda case: reverse("linkworkers:case", args=[case.uuid])),
    ("link_worker", lambda case: reverse("linkworkers:prescription", args=[case.uuid])),
    ("link_worker", lambda case: reverse("linkworkers:caseload")),
    ("peer_navigator", lambda case: reverse("linkworkers:peer_case", args=[case.uuid])),
    ("provider", lambda case: reverse("providers:connections")),
    ("commissioner", lambda case: reverse("reporting:dashboard")),
]


@pytest.fixture
def everyone(people, peer_navigator, attached):
    return {**people, "peer_navigator": peer_navigator}


@pytest.mark.parametrize(("who", "address"), PAGES)
def test_a_page_showing_glenys_is_kept_by_no_cache(client, everyone, case, who, address):
    client.force_login(everyone[who])
    response = client.get(address(case))
    assert response.status_code == 200
    assert_personal_data_headers(response)


def test_a_case_that_is_not_yours_answers_404_with_the_same_headers(client, outsider_referrer):
    client.force_login(outsider_referrer)
    response = client.get(reverse("referrals:detail", args=[uuid.uuid4()]))
    assert response.status_code == 404
    assert_personal_data_headers(response)


def test_a_refused_page_answers_403_with_the_same_headers(client, link_worker):
    client.force_login(link_worker)
    response = client.get(reverse("linkworkers:team"))
    assert response.status_code == 403
    assert_personal_data_headers(response)


def test_a_public_page_is_not_kept_either(client, db):
    """The rule is the simplest honest one: every page. Each carries a CSRF token in its forms."""
    response = client.get(reverse("directory:search"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_open_referral_api_may_be_cached(client, db):
    """Public listings, no credentials taken, the same for everyone: partners may cache them."""
    response = client.get("/api/oruk/services")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
