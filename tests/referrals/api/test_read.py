"""Afon's systems follow the referrals Afon Surgery made; Bryn's system sees none of them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent
from linkworkers.services import referral_allocate
from referrals import services
from referrals.models import Referral
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"


def _detail(referral):
    return f"{URL}{referral.uuid}/"


@pytest.fixture
def bryn_referral(bryn_emis, scheme):
    organisation = bryn_emis.api_client.organisation
    return ReferralFactory(referring_organisation=organisation, scheme=scheme)


@pytest.fixture
def triaged(referral, coordinator, link_worker):
    """Glenys's referral accepted (with a note only the scheme sees) and allocated to Llinos."""
    referral = services.referral_accept(
        referral=referral, actor=coordinator, note="Lives alone; call after 10am."
    )
    return referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)


def test_it_lists_the_organisations_referrals(afon_emis, referral, bryn_referral):
    response = afon_emis.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [item["id"] for item in body["results"]] == [str(referral.uuid)]
    item = body["results"][0]
    assert (item["reference"], item["status"]) == (referral.reference, "received")
    assert "person" not in item


def test_a_read_only_client_may_list(afon_reports, referral):
    assert afon_reports.get(URL).json()["count"] == 1


def test_it_filters_by_status(afon_emis, referral, triaged, practice, scheme):
    ReferralFactory(referring_organisation=practice, scheme=scheme)
    allocated = afon_emis.get(URL, {"status": "allocated"}).json()
    assert [item["id"] for item in allocated["results"]] == [str(referral.uuid)]
    assert afon_emis.get(URL, {"status": "received"}).json()["count"] == 1


def test_it_filters_by_updated_since(afon_emis, referral, practice, scheme):
    older = ReferralFactory(referring_organisation=practice, scheme=scheme)
    Referral.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = afon_emis.get(URL, {"updated_since": since}).json()
    assert [item["id"] for item in body["results"]] == [str(referral.uuid)]


@pytest.mark.parametrize(
    ("parameter", "value", "reason"),
    [
        (
            "updated_since",
            "last tuesday",
            "Give an RFC 3339 date-time with its offset, such as 2026-01-31T09:00:00Z "
            "(a plus sign in the offset must be URL-encoded).",
        ),
        ("status", "lost", "Select a valid choice. lost is not one of the available choices."),
    ],
)
def test_a_bad_filter_names_the_parameter(afon_emis, referral, parameter, value, reason):
    response = afon_emis.get(URL, {parameter: value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["invalid_params"] == [{"name": parameter, "reason": reason}]


def test_it_pages(afon_emis, practice, scheme):
    ReferralFactory.create_batch(3, referring_organisation=practice, scheme=scheme)
    first = afon_emis.get(URL, {"page_size": 2}).json()
    assert (first["count"], len(first["results"])) == (3, 2)
    assert first["next"].endswith("?page=2&page_size=2")
    second = afon_emis.get(URL, {"page_size": 2, "page": 2}).json()
    assert len(second["results"]) == 1
    assert afon_emis.get(URL, {"page": 9}).status_code == 404


@pytest.mark.parametrize("rows", [2, 12])
def test_the_list_query_count_does_not_grow(
    afon_emis, practice, scheme, django_assert_num_queries, rows
):
    ReferralFactory.create_batch(rows, referring_organisation=practice, scheme=scheme)
    afon_emis.get(URL)  # first use of the token is recorded; not repeated within a minute
    # The count, the page (with its scheme's name and its people's uuids) and the audit row
    # with the people it names (one statement on PostgreSQL); the client comes from the cache.
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        response = afon_emis.get(URL, {"page_size": 50})
    assert len(response.json()["results"]) == rows


def test_it_shows_a_referral_with_its_timeline(afon_emis, triaged):
    response = afon_emis.get(_detail(triaged))
    assert response.status_code == 200
    body = response.json()
    assert (body["reference"], body["status"]) == (triaged.reference, "allocated")
    assert body["person"]["given_name"] == "Glenys"
    assert body["accepted_at"] and body["allocated_at"]
    assert [(event["kind"], event["to_status"]) for event in body["timeline"]] == [
        ("status", "accepted"),
        ("status", "allocated"),
    ]
    assert body["timeline"][1]["note"] == "Allocated to Llinos Watkins."


def test_link_worker_notes_never_leave(afon_emis, triaged):
    text = afon_emis.get(_detail(triaged)).content.decode()
    assert "Lives alone" not in text


def test_the_person_shows_as_a_referrer_sees_them(afon_emis, referral):
    person = afon_emis.get(_detail(referral)).json()["person"]
    assert set(person) == {
        "given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number", "postcode",
    }  # fmt: skip


def test_the_closure_summary_comes_back(afon_emis, triaged, link_worker):
    services.referral_start(referral=triaged, actor=link_worker)
    services.referral_close(
        referral=triaged,
        actor=link_worker,
        reason="completed",
        summary="Glenys joined the community choir and a walking group.",
    )
    body = afon_emis.get(_detail(triaged)).json()
    assert (body["status"], body["closure_reason"]) == ("closed", "completed")
    assert body["closure_summary"] == "Glenys joined the community choir and a walking group."
    assert body["timeline"][-1]["note"] == body["closure_summary"]


def test_each_read_is_audited_naming_the_client(afon_emis, referral):
    afon_emis.get(_detail(referral))
    afon_emis.get(_detail(referral))
    events = AuditEvent.objects.filter(action="view", object_id=str(referral.person.uuid))
    assert events.count() == 2
    event = events.first()
    assert (event.api_client, event.actor) == (afon_emis.api_client, None)
    assert event.detail == f"referral {referral.reference}"
    assert event.ip_address == "127.0.0.1"


def test_another_organisations_referral_is_not_there(bryn_emis, referral):
    response = bryn_emis.get(_detail(referral))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert not AuditEvent.objects.filter(action="view").exists()


@pytest.mark.parametrize("referral_id", ["not-a-uuid", "5f0c6b8e-2f4a-4d7e-9a51-3c2b1e0d9f47"])
def test_an_unknown_id_is_not_there(afon_emis, referral_id):
    response = afon_emis.get(f"{URL}{referral_id}/")
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def test_the_detail_query_count(afon_emis, triaged, django_assert_num_queries):
    afon_emis.get(URL)
    # The referral (with its scheme's name and its person's uuid), the audit row with the
    # person it names (one statement on PostgreSQL), the timeline; the client is cached.
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        afon_emis.get(_detail(triaged))


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_it_rejects_writes_to_a_referral(afon_emis, referral, method):
    response = getattr(afon_emis.client, method)(_detail(referral), **afon_emis.headers())
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert Referral.objects.filter(pk=referral.pk).exists()


def test_head_answers_like_get_without_a_body(afon_emis, referral):
    response = afon_emis.client.head(URL, **afon_emis.headers())
    assert response.status_code == 200
    assert response.content == b""
