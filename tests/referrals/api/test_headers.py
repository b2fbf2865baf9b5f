"""Afon EMIS's answers carry Glenys's details: no cache may keep them (issue 11, finding 8).

Every API answer says `Cache-Control: no-store`, the errors too (problem JSON
for a missing token, an unknown id, another organisation's referral).
"""

import uuid

import pytest

from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"


def assert_not_kept(response):
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_list_is_not_kept(afon_emis, referral):
    response = afon_emis.get(URL)
    assert response.status_code == 200
    assert response.json()["results"][0]["reference"] == referral.reference
    assert_not_kept(response)


def test_the_detail_is_not_kept(afon_emis, referral):
    response = afon_emis.get(f"{URL}{referral.uuid}/")
    assert response.status_code == 200
    assert_not_kept(response)


def test_a_new_referrals_answer_is_not_kept(afon_emis, referral):
    response = afon_emis.post(URL, {})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert_not_kept(response)


@pytest.mark.parametrize("referral_id", [uuid.uuid4(), "not-a-uuid"])
def test_an_unknown_referral_is_not_kept(afon_emis, referral, referral_id):
    response = afon_emis.get(f"{URL}{referral_id}/")
    assert response.status_code == 404
    assert_not_kept(response)


def test_another_organisations_referral_is_not_kept(bryn_emis, scheme, practice):
    theirs = ReferralFactory(referring_organisation=practice, scheme=scheme)
    response = bryn_emis.get(f"{URL}{theirs.uuid}/")
    assert response.status_code == 404
    assert_not_kept(response)


def test_no_token_is_not_kept(client, referral):
    response = client.get(URL)
    assert response.status_code == 401
    assert_not_kept(response)


def test_the_schema_and_docs_are_not_kept_either(client, db):
    for address in ["/api/schema/", "/api/docs/", "/api/redoc/"]:
        assert "no-store" in client.get(address)["Cache-Control"]
