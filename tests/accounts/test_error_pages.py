"""403, 404 and 500 in the site's frame and in both languages (issue 16, point 9).

Django's handlers for them run only with DEBUG off, as in production. The 500 page is made
without the database, as the 503 is: the error may be the database's.
"""

from unittest import mock

import pytest
from django.db import connections
from django.test import Client, RequestFactory
from django.utils import translation

from accounts.models import Role
from config.views import server_error
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor(settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_404_is_in_the_sites_frame(visitor):
    response = visitor.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-testid="not-found"' in page
    assert 'id="site-nav"' in page and 'href="/"' in page
    assert '<html lang="en">' in page


def test_404_under_cy_is_welsh(visitor):
    page = visitor.get("/cy/no-such-page/").content.decode()
    assert '<html lang="cy">' in page
    assert "Rhagnodi cymdeithasol" in page  # the frame in Welsh
    assert 'href="/cy/"' in page  # home, in Welsh


def test_an_out_of_scope_record_is_the_same_404(visitor, settings):
    referrer = UserFactory(role=Role.REFERRER, organisation=OrganisationFactory())
    visitor.force_login(referrer)
    response = visitor.get("/referrals/00000000-0000-0000-0000-000000000000/letter/")
    assert response.status_code == 404
    assert 'data-testid="not-found"' in response.content.decode()


def test_403_is_in_the_sites_frame_and_names_the_user(visitor):
    referrer = UserFactory(role=Role.REFERRER, organisation=OrganisationFactory())
    visitor.force_login(referrer)
    response = visitor.get("/referrals/triage/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="forbidden"' in page and 'data-testid="signed-in-user"' in page


def test_500_is_in_the_sites_frame_in_both_languages(visitor):
    with mock.patch("referrals.selectors.schemes_for_self_referral", side_effect=RuntimeError):
        response = visitor.get("/self-referral/")
    assert response.status_code == 500
    page = response.content.decode()
    english, welsh = "Sorry, something went wrong on our side", "aeth rhywbeth o’i le"
    assert english in page and welsh in page
    assert page.index(english) < page.index(welsh)
    assert "/static/" in page and "bootstrap" in page


def test_500_under_cy_puts_welsh_first(visitor):
    with mock.patch("referrals.selectors.schemes_for_self_referral", side_effect=RuntimeError):
        page = visitor.get("/cy/self-referral/").content.decode()
    assert page.index("aeth rhywbeth o’i le") < page.index("Sorry, something went wrong")


def test_500_is_made_without_the_database():
    request = RequestFactory().get("/cy/anything/")
    broken = RuntimeError("no database here")
    with (
        mock.patch.object(connections["default"], "cursor", side_effect=broken),
        translation.override("cy"),
    ):
        try:
            raise ValueError("boom")
        except ValueError:
            response = server_error(request)
    assert response.status_code == 500
    assert "aeth rhywbeth o’i le" in response.content.decode()
