"""Mair refers herself on the public form, in Welsh or English."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from referrals.models import Referral
from tests.outage import rate_limit_cache_down

pytestmark = pytest.mark.django_db

URL = "/self-referral/"


@pytest.fixture(autouse=True)
def clear_cache():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def form_data():
    return {
        "given_name": "Mair",
        "family_name": "Huws",
        "date_of_birth": "1960-07-14",
        "postcode": "sa1 1aa",
        "phone": "07700 900456",
        "contact_method": "phone",
        "preferred_language": "cy",
        "reasons": ["loneliness"],
        "what_matters": "Hoffwn gwrdd â phobl newydd.",
        "consent_to_referral": "on",
        "consent_to_share": "on",
        "website": "",
    }


def test_anyone_can_open_it(client, scheme):
    assert client.get(URL).status_code == 200
    welsh = client.get("/cy" + URL)
    assert welsh.status_code == 200
    assert '<html lang="cy">' in welsh.content.decode()


def test_she_refers_herself(client, scheme, form_data):
    response = client.post(URL, form_data, follow=True)
    referral = Referral.objects.get()
    assert response.redirect_chain[-1][0] == reverse("self_referral_done")
    html = response.content.decode()
    assert referral.reference in html
    assert "within 10 working days" in html
    assert (referral.source_kind, referral.scheme, referral.referring_user) == (
        "self",
        scheme,
        None,
    )
    assert referral.person.postcode == "SA1 1AA"
    assert referral.person.preferred_language == "cy"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postcode", "ABC"),
        ("consent_to_referral", ""),
        ("reasons", ["unknown"]),
        ("what_matters", "x" * 2001),
        ("date_of_birth", "2999-12-31"),
        ("phone", ""),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(client, scheme, form_data, field, value):
    data = {**form_data, field: value}
    response = client.post(URL, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Referral.objects.exists()


def test_a_bot_filling_the_honeypot_gets_thanks_and_nothing_is_kept(client, scheme, form_data):
    response = client.post(URL, {**form_data, "website": "http://spam.example"})
    assert response.status_code == 302
    assert not Referral.objects.exists()


def test_too_many_submissions_from_one_address_are_refused(client, scheme, form_data, settings):
    settings.SELF_REFERRAL_RATE_LIMIT = 2
    for n in range(2):
        assert client.post(URL, {**form_data, "given_name": f"Mair{n}"}).status_code == 302
    response = client.post(URL, {**form_data, "given_name": "Mair3"})
    assert response.status_code == 429
    assert Referral.objects.count() == 2
    other_address = client.post(URL, {**form_data, "given_name": "Elin"}, REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 302


@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_a_forged_forwarded_header_does_not_escape_the_limit(
    client, scheme, form_data, settings, trusted_proxies
):
    """Eve sends a new X-Forwarded-For with each form; behind nginx it appends her address."""
    settings.SELF_REFERRAL_RATE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = trusted_proxies
    eve = "198.51.100.66"
    peer = {"REMOTE_ADDR": "10.0.0.2" if trusted_proxies else eve}
    answers = []
    for n in range(4):
        forged = f"203.0.113.{n}"
        forwarded = f"{forged}, {eve}" if trusted_proxies else forged
        response = client.post(
            URL, {**form_data, "given_name": f"Mair{n}"}, HTTP_X_FORWARDED_FOR=forwarded, **peer
        )
        answers.append(response.status_code)
    assert answers == [302, 302, 429, 429]
    assert Referral.objects.count() == 2


def test_behind_a_proxy_each_client_has_its_own_limit(client, scheme, form_data, settings):
    settings.SELF_REFERRAL_RATE_LIMIT = 1
    settings.TRUSTED_PROXY_COUNT = 1
    nginx = {"REMOTE_ADDR": "10.0.0.2"}
    first = client.post(URL, form_data, HTTP_X_FORWARDED_FOR="198.51.100.66", **nginx)
    second = client.post(URL, form_data, HTTP_X_FORWARDED_FOR="198.51.100.67", **nginx)
    assert (first.status_code, second.status_code) == (302, 302)


@pytest.mark.parametrize(
    "forwarded", ["not-an-ip", "", "x" * 20_000, "2001:db8::1", "unknown", ",", "fe80::1%eth0"]
)
@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_a_malformed_forwarded_header_is_no_error(
    client, scheme, form_data, settings, forwarded, trusted_proxies
):
    settings.TRUSTED_PROXY_COUNT = trusted_proxies
    assert client.get(URL, HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    response = client.post(URL, form_data, HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 302
    assert Referral.objects.count() == 1


def test_a_cache_outage_lets_the_form_through_and_says_so_in_the_log(
    client, scheme, form_data, settings, caplog
):
    """Redis is down: the limit cannot be counted, so it is not applied; no 500."""
    settings.SELF_REFERRAL_RATE_LIMIT = 1
    with rate_limit_cache_down():
        for n in range(3):
            response = client.post(URL, {**form_data, "given_name": f"Mair{n}"})
            assert response.status_code == 302
    assert Referral.objects.count() == 3
    assert "rate limits are not enforced" in caplog.text
