"""Who may call the API: a valid Bearer token, the right scope, within the client's rate limit."""

import pytest
from django.utils import timezone

from accounts.services import api_client_revoke
from referrals.models import Referral
from tests.outage import rate_limit_cache_down

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"


def _problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    return problem


def test_it_requires_a_token(client, referral_body):
    response = client.post(URL, referral_body, content_type="application/json")
    problem = _problem(response, 401)
    assert problem["title"] == "Authentication needed"
    assert problem["detail"] == "Send an API client's token as a Bearer token."
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer spk_00000000_not-a-real-token",
        "Bearer nonsense",
        "Bearer ",
        "Basic cmhpYW46cGFzc3dvcmQ=",
    ],
)
def test_a_bad_token_is_refused(client, afon_emis, header):
    response = client.get(URL, HTTP_AUTHORIZATION=header)
    _problem(response, 401)


def test_a_token_with_a_known_prefix_but_wrong_secret_is_refused(client, afon_emis):
    forged = afon_emis.token[:-4] + "AAAA"
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert _problem(response, 401)["detail"] == "The token is not valid."


def test_a_revoked_token_is_refused(afon_emis, referral_body):
    api_client_revoke(client=afon_emis.api_client)
    response = afon_emis.post(URL, referral_body)
    assert _problem(response, 401)["detail"] == "The token has been revoked."
    assert not Referral.objects.exists()


def test_a_read_only_client_cannot_refer(afon_reports, referral_body):
    response = afon_reports.post(URL, referral_body)
    problem = _problem(response, 403)
    assert problem["detail"] == "This API client does not have the referrals:write scope."
    assert not Referral.objects.exists()


def test_a_write_only_client_cannot_read(client, practice, scheme, referral):
    from accounts.services import api_client_create

    _client, token = api_client_create(
        name="Afon kiosk", organisation=practice, scopes=["referrals:write"]
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    _problem(client.get(URL, **headers), 403)
    _problem(client.get(f"{URL}{referral.uuid}/", **headers), 403)
    assert client.head(f"{URL}{referral.uuid}/", **headers).status_code == 403


def test_the_rate_limit_answers_429_with_retry_after(afon_emis):
    afon_emis.api_client.rate_limit = 3
    afon_emis.api_client.save()
    for _ in range(3):
        assert afon_emis.get(URL).status_code == 200
    response = afon_emis.get(URL)
    problem = _problem(response, 429)
    assert problem["title"] == "Too many requests"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Try again in" in problem["detail"]


def test_each_client_has_its_own_rate_limit(afon_emis, afon_reports):
    afon_emis.api_client.rate_limit = 1
    afon_emis.api_client.save()
    assert afon_emis.get(URL).status_code == 200
    assert afon_emis.get(URL).status_code == 429
    assert afon_reports.get(URL).status_code == 200


def test_with_the_rate_limit_cache_down_the_api_still_answers(afon_emis, caplog):
    """Redis is down: the limit cannot be counted, so it is not applied; no 500, a log line."""
    afon_emis.api_client.rate_limit = 1
    afon_emis.api_client.save()
    with rate_limit_cache_down():
        assert [afon_emis.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    assert "rate limits are not enforced" in caplog.text


def test_use_is_recorded_at_most_once_a_minute(afon_emis, django_assert_num_queries):
    assert afon_emis.api_client.last_used_at is None
    afon_emis.get(URL)
    afon_emis.api_client.refresh_from_db()
    first_use = afon_emis.api_client.last_used_at
    assert timezone.now() - first_use < timezone.timedelta(seconds=5)
    afon_emis.get(URL)
    afon_emis.api_client.refresh_from_db()
    assert afon_emis.api_client.last_used_at == first_use


def test_the_session_of_a_signed_in_person_is_not_enough(client, gp_receptionist):
    """The API is for partner systems: a browser session does not open it."""
    client.force_login(gp_receptionist)
    _problem(client.get(URL), 401)
