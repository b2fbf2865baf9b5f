"""The database out of reach: a bilingual 503 page in the site's frame, problem JSON on the API.

Before, people saw Django's bare "Server Error (500)" (issue 18, point 5). Each test
cuts the database by making every query fail as an unreachable server does
(OperationalError), for the length of one request. Django's handler for uncaught
errors only runs with DEBUG off, as in production, so these tests turn it off.
"""

from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, connections
from django.template.loader import render_to_string
from django.test import Client

from accounts.models import ApiScope
from accounts.services import api_client_create
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

ENGLISH = "Sorry, the service is unavailable"
WELSH = "Mae’n ddrwg gennym, nid yw’r gwasanaeth ar gael"


@contextmanager
def database_out_of_reach(error=OperationalError):
    failure = error("could not connect to server: Connection refused")
    with mock.patch.object(connections["default"], "cursor", side_effect=failure):
        yield


@pytest.fixture
def partner_token(db):
    """A partner system's token (Afon Surgery's GP system)."""
    _client, token = api_client_create(
        name="Afon EMIS",
        organisation=OrganisationFactory(name="Afon Surgery"),
        scopes=[ApiScope.REFERRALS_READ],
    )
    return f"Bearer {token}"


@pytest.fixture
def visitor(settings):
    """A browser, against the site as production runs it (DEBUG off)."""
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_a_page_answers_503_in_both_languages(visitor):
    with database_out_of_reach():
        response = visitor.get("/directory/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert ENGLISH in page and WELSH in page
    assert page.index(ENGLISH) < page.index(WELSH)
    assert '<section lang="en">' in page and '<section lang="cy">' in page
    # In the site's frame, without the menus (they need to know who is signed in).
    assert 'class="navbar-brand' in page and "site-nav" not in page
    assert "Server Error (500)" not in page


def test_the_answer_is_never_kept_and_keeps_the_security_headers(visitor):
    with database_out_of_reach():
        response = visitor.get("/directory/")
    assert "no-store" in response["Cache-Control"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_at_a_welsh_address_the_welsh_comes_first(visitor):
    with database_out_of_reach():
        page = visitor.get("/cy/directory/").content.decode()
    assert page.index(WELSH) < page.index(ENGLISH)
    assert '<html lang="cy">' in page


def test_a_signed_in_person_gets_it_when_even_their_session_cannot_be_read(visitor):
    visitor.force_login(UserFactory(role="coordinator"))
    with database_out_of_reach():
        response = visitor.get("/referrals/")
    assert response.status_code == 503
    assert ENGLISH in response.content.decode()


def test_a_form_sent_during_the_outage_gets_it(visitor):
    with database_out_of_reach():
        response = visitor.post("/self-referral/", {"given_name": "Mair"})
    assert response.status_code == 503
    assert "it may not have been saved" in response.content.decode()


def test_a_lost_connection_is_an_outage_too(visitor):
    with database_out_of_reach(InterfaceError):
        assert visitor.get("/directory/").status_code == 503


def test_the_api_answers_problem_json(visitor, partner_token):
    with database_out_of_reach():
        response = visitor.get("/api/v1/referrals/", HTTP_AUTHORIZATION=partner_token)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "type": "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
        "title": "Service unavailable",
        "status": 503,
        "detail": "The service cannot reach its database just now. Try again after the time "
        "in Retry-After; a write sent with an Idempotency-Key may be sent again safely.",
        "instance": "/api/v1/referrals/",
    }


def test_the_open_referral_api_too(visitor):
    with database_out_of_reach():
        response = visitor.get("/api/oruk/services")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"


def test_the_retry_after_is_a_setting(visitor, settings):
    settings.OUTAGE_RETRY_AFTER_SECONDS = 120
    with database_out_of_reach():
        assert visitor.get("/directory/")["Retry-After"] == "120"


def test_the_page_needs_no_database(django_assert_num_queries):
    with database_out_of_reach(), django_assert_num_queries(0):
        page = render_to_string("503.html")
    assert ENGLISH in page and WELSH in page


def test_an_error_that_is_not_an_outage_stays_a_500(visitor):
    with mock.patch("config.views.render", side_effect=IntegrityError("duplicate key")):
        response = visitor.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_any_other_error_on_the_api_is_problem_json(visitor, partner_token):
    with mock.patch(
        "accounts.api.throttling.ApiClientRateThrottle.allow_request",
        side_effect=RuntimeError("a bug"),
    ):
        response = visitor.get("/api/v1/referrals/", HTTP_AUTHORIZATION=partner_token)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["title"]) == (500, "Internal server error")
    assert "a bug" not in body["detail"]
