"""Someone holding Afon EMIS's token sends what no honest system would.

Each answer is a 4xx RFC 7807 problem naming the body, field or parameter at
fault, never a 500, and nothing is written. Several of these were 500s on
PostgreSQL (an offset of -23:22 reached the database) or everywhere (JSON
nested 10,000 deep overflowed the decoder's recursion).
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.api.parsers import MAX_JSON_DEPTH
from referrals.models import Referral
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"
PROBLEM = "application/problem+json"


def assert_problem(response, status, name):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert [param["name"] for param in body["invalid_params"]] == [name]
    return body["invalid_params"][0]["reason"]


@pytest.fixture
def afon_referrals(practice, scheme):
    return ReferralFactory.create_batch(3, referring_organisation=practice, scheme=scheme)


# Bodies


@pytest.mark.parametrize(
    "body",
    ["[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000],
    ids=["array", "object"],
)
def test_json_nested_ten_thousand_deep_is_refused(afon_emis, body):
    response = afon_emis.post(URL, body)
    reason = assert_problem(response, 400, "body")
    assert reason == f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."
    assert not Referral.objects.exists()


def test_json_just_past_the_depth_limit_is_refused(afon_emis, referral_body):
    nested = {}
    for _level in range(MAX_JSON_DEPTH):
        nested = {"deeper": nested}
    response = afon_emis.post(URL, {**referral_body, "extra": nested})
    assert_problem(response, 400, "body")
    assert not Referral.objects.exists()


def test_a_body_larger_than_the_limit_is_refused(afon_emis, referral_body, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    response = afon_emis.post(URL, {**referral_body, "what_matters": "x" * 5000})
    assert_problem(response, 413, "body")
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("change", "name", "reason"),
    [
        ({"person": []}, "person", "Invalid data. Expected a dictionary, but got list."),
        (
            {"referrer": "Dr Hughes"},
            "referrer",
            "Invalid data. Expected a dictionary, but got str.",
        ),
        (
            {"reasons": {"loneliness": True}},
            "reasons",
            'Expected a list of items but got type "dict".',
        ),
        ({"consent_to_referral": "true"}, "consent_to_referral", "Must be true or false."),
        ({"risk_flag": 1}, "risk_flag", "Must be true or false."),
        ({"what_matters": 42}, "what_matters", "Must be a string."),
        ({"what_matters": "a\x00b"}, "what_matters", "Null characters are not allowed."),
        ({"what_matters": "x" * 1_000_000}, "what_matters", None),
    ],
)
def test_a_body_of_the_wrong_shape_names_the_field(afon_emis, referral_body, change, name, reason):
    response = afon_emis.post(URL, {**referral_body, **change})
    said = assert_problem(response, 400, name)
    assert reason is None or said == reason
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("nhs_number", 9434765919, "Must be a string."),
        ("given_name", "G" * 100 + " ", "Ensure this field has no more than 100 characters."),
        ("given_name", "\U0001f600" * 101, "Ensure this field has no more than 100 characters."),
        ("postcode", "CF10 1AA" + " " * 5, "Ensure this field has no more than 10 characters."),
        ("email", "a" * 250 + "@x.org", "Ensure this field has no more than 254 characters."),
    ],
)
def test_a_person_field_names_itself(afon_emis, referral_body, field, value, reason):
    person = {**referral_body["person"], field: value}
    response = afon_emis.post(URL, {**referral_body, "person": person})
    assert assert_problem(response, 400, f"person.{field}") == reason
    assert not Referral.objects.exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_refused(afon_emis, referral_body, content_type):
    response = afon_emis.client.post(
        URL, json.dumps(referral_body), content_type=content_type, **afon_emis.headers()
    )
    assert response.status_code == 415
    assert response["Content-Type"] == PROBLEM
    assert not Referral.objects.exists()


@pytest.mark.parametrize("key", ["k" * 10_000, "clé", "two\tparts"])
def test_a_hostile_idempotency_key_is_named(afon_emis, referral_body, key):
    response = afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=key)
    assert_problem(response, 400, "Idempotency-Key")
    assert not Referral.objects.exists()


# Query parameters


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-01-01T10:00:00-23:22", "Give an offset from UTC between -12:00 and +14:00."),
        ("2026-01-01T10:00:00+15:30", "Give an offset from UTC between -12:00 and +14:00."),
        ("9999-12-31T23:59:59-12:00", "Give a date-time between the years 1 and 9999 in UTC."),
        ("0001-01-01T00:00:00+14:00", "Give a date-time between the years 1 and 9999 in UTC."),
        (
            "2026-02-30T10:00:00Z",
            "That date or time does not exist, such as a 31st of April or a 25th hour.",
        ),
        ("2026-01-01T25:00:00Z", None),
        ("2026-01-01T10:00:00", None),  # no offset: which 10 o'clock?
        ("2026-01-01", None),
        ("2026-01-01T10:00:00Z\n", None),
        ("２０２６-01-01T10:00:00Z", None),  # full-width digits
        ("\x00", None),
        ("", "This parameter is empty: give a value or leave it out."),
    ],
)
def test_a_bad_updated_since_is_named(afon_emis, afon_referrals, value, reason):
    said = assert_problem(afon_emis.get(URL, {"updated_since": value}), 400, "updated_since")
    assert reason is None or said == reason


def test_updated_since_takes_any_real_offset(afon_emis, afon_referrals):
    older = afon_referrals[0]
    Referral.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(days=2))
    # One day ago, written in Kiritimati's time (+14:00) and in Baker Island's (-12:00).
    since = timezone.now() - timedelta(days=1)
    for hours in (14, -12):
        local = since.astimezone(timezone.get_fixed_timezone(hours * 60))
        body = afon_emis.get(URL, {"updated_since": local.isoformat()}).json()
        assert body["count"] == 2, hours


@pytest.mark.parametrize(
    "value", ["abc", "-1", "0", "201", "1.5", "1e2", "", " 5", "٥", "9" * 5000, "5\n"]
)
def test_a_bad_page_size_is_named(afon_emis, afon_referrals, value):
    reason = assert_problem(afon_emis.get(URL, {"page_size": value}), 400, "page_size")
    assert reason == "Give a whole number from 1 to 200."


@pytest.mark.parametrize("value", ["abc", "-1", "0", "000", "", "last", "1.0", "٢"])
def test_a_bad_page_is_named(afon_emis, afon_referrals, value):
    reason = assert_problem(afon_emis.get(URL, {"page": value}), 400, "page")
    assert reason == "Give a whole number of 1 or more."


@pytest.mark.parametrize("value", ["2", "99999999999999999999999", "9" * 5000])
def test_a_page_past_the_last_is_named(afon_emis, afon_referrals, value):
    reason = assert_problem(afon_emis.get(URL, {"page": value, "page_size": 3}), 404, "page")
    assert reason.endswith("the last page is 1.")


def test_both_bad_paging_parameters_are_named_at_once(afon_emis, afon_referrals):
    response = afon_emis.get(URL, {"page": "x", "page_size": "y"})
    assert response.status_code == 400
    assert {param["name"] for param in response.json()["invalid_params"]} == {"page", "page_size"}


def test_paging_within_bounds_still_works(afon_emis, afon_referrals):
    body = afon_emis.get(URL, {"page": "01", "page_size": "200"}).json()
    assert body["count"] == 3


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "This parameter is empty: give a value or leave it out."),
        ("   ", "This parameter is empty: give a value or leave it out."),
        ("lost", "Select a valid choice. lost is not one of the available choices."),
        ("\x00", None),
        ("ＲＥＣＥＩＶＥＤ", None),
    ],
)
def test_a_blank_or_unknown_status_is_named(afon_emis, afon_referrals, value, reason):
    said = assert_problem(afon_emis.get(URL, {"status": value}), 400, "status")
    assert reason is None or said == reason


def test_an_accept_header_without_json_is_a_406_problem(afon_emis, afon_referrals):
    response = afon_emis.get(URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response["Content-Type"] == PROBLEM
