"""Afon's GP system retries a referral after a timeout: the Idempotency-Key keeps it to one."""

import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

from referrals import services
from referrals.models import ApiIdempotencyKey, Referral
from tests.referrals.api.conftest import Partner

URL = "/api/v1/referrals/"
KEY = "4f6d2c1e-8b8a-4c1e-9d1e-0a7c2b3d4e5f"


@pytest.mark.django_db
def test_the_same_key_and_body_give_the_same_referral(afon_emis, referral_body):
    first = afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=KEY)
    again = afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=KEY)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert Referral.objects.count() == 1
    assert ApiIdempotencyKey.objects.get().referral == Referral.objects.get()


@pytest.mark.django_db
def test_the_same_body_spaced_or_ordered_otherwise_is_the_same_request(afon_emis, referral_body):
    afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=KEY)
    reordered = dict(reversed(list(referral_body.items())))
    again = afon_emis.post(URL, reordered, HTTP_IDEMPOTENCY_KEY=KEY)
    assert again.status_code == 200
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_conflict(afon_emis, referral_body):
    afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=KEY)
    other = {**referral_body, "urgency": "urgent"}
    response = afon_emis.post(URL, other, HTTP_IDEMPOTENCY_KEY=KEY)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "This Idempotency-Key was already used for a request with a different body. "
        "Use a new key for a new referral."
    )
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_another_key_makes_another_referral(afon_emis, referral_body):
    afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=KEY)
    response = afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY="second-attempt")
    assert response.status_code == 201
    assert Referral.objects.count() == 2


@pytest.mark.django_db
def test_keys_belong_to_their_client(afon_emis, bryn_emis, referral_body):
    """Two partners that happen to choose the same key do not collide."""
    assert afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=KEY).status_code == 201
    assert bryn_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=KEY).status_code == 201
    assert Referral.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_request_does_not_use_up_the_key(afon_emis, referral_body):
    bad = {**referral_body, "consent_to_share": False}
    assert afon_emis.post(URL, bad, HTTP_IDEMPOTENCY_KEY=KEY).status_code == 400
    assert not ApiIdempotencyKey.objects.exists()
    assert afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=KEY).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "tab\there"])
def test_an_unusable_key_is_named(afon_emis, referral_body, key):
    response = afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["invalid_params"][0]["name"] == "Idempotency-Key"
    assert not Referral.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises every write, so two requests cannot race",
)
@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_make_one_referral(afon_emis, referral_body, monkeypatch):
    # No NHS number: nothing but the idempotency key stops a second person and referral.
    body = {**referral_body, "person": {**referral_body["person"], "nhs_number": ""}}
    create = services.referral_create
    creations = []

    def slow_create(**kwargs):
        # Both requests get past the look-up of the key before either stores it:
        # only the unique constraint can stop the second referral now.
        answer = create(**kwargs)
        creations.append(answer)
        time.sleep(0.3)
        return answer

    monkeypatch.setattr(services.intake, "referral_create", slow_create)
    start = threading.Barrier(2)
    answers = []

    def send():
        try:
            partner = Partner(Client(), afon_emis.api_client, afon_emis.token)
            start.wait()
            response = partner.post(URL, body, HTTP_IDEMPOTENCY_KEY=KEY)
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(creations) == 2
    assert sorted(code for code, _ in answers) == [200, 201]
    assert len({referral_id for _, referral_id in answers}) == 1
    assert Referral.objects.count() == 1
    assert ApiIdempotencyKey.objects.count() == 1
