"""Who looked at Glenys's record and when; what did Llinos (or Gwen) look at."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.services import audit_record, audit_view
from tests.factories import PersonFactory, ReferralFactory, UserFactory
from tests.privacy.conftest import at, local

pytestmark = pytest.mark.django_db


def _details(response):
    return [row.event.detail for row in response.context["rows"]]


@pytest.fixture
def history(gp, link_worker, coordinator, partner_system, glenys, bethan, glenys_referral):
    with at(local(2026, 3, 2, 9, 15)):
        audit_view(actor=gp, what="Gwen's list", people=[glenys, bethan])
    with at(local(2026, 3, 3, 10, 30)):
        audit_view(actor=link_worker, what="Llinos opens the case", people=[glenys],
                   records=[glenys_referral.reference])  # fmt: skip
    with at(local(2026, 3, 4, 11, 45)):
        audit_view(actor=None, api_client=partner_system, what="GP system reads", people=[glenys])
        audit_view(actor=link_worker, what="Llinos opens a Glannau case", people=[bethan])
        audit_record(actor=coordinator, action=AuditEvent.Action.LOGIN, detail="Carys signs in")


# A person's history --------------------------------------------------------------------


def test_every_event_naming_the_person_with_who_when_what_page_and_where(
    client, dpo, history, glenys
):
    older = PersonFactory(merged_into=glenys, merged_at=timezone.now())
    with at(local(2026, 3, 1, 8, 0)):
        audit_view(actor=UserFactory(first_name="Rhys", last_name="Evans"),
                   what="before the merge", people=[older])  # fmt: skip
    client.force_login(dpo)
    response = client.get(reverse("privacy:person_audit", args=[glenys.uuid]))
    assert response.status_code == 200
    assert _details(response) == [
        "GP system reads", "Llinos opens the case", "Gwen's list", "before the merge",
    ]  # fmt: skip
    page = response.content.decode()
    assert "Who has seen the record of Glenys Pritchard" in page
    assert "3 Mar 2026 10:30:00" in page
    assert "Llinos Watkins" in page and "Afon GP system" in page and "Rhys Evans" in page


def test_the_page_and_address_are_shown(client, dpo, glenys, link_worker, rf):
    request = rf.get("/cases/abc/?tab=plan", REMOTE_ADDR="203.0.113.9")
    audit_view(actor=link_worker, what="case", people=[glenys], request=request)
    client.force_login(dpo)
    page = client.get(reverse("privacy:person_audit", args=[glenys.uuid])).content.decode()
    assert "<code>/cases/abc/?tab=plan</code>" in page
    assert "203.0.113.9" in page


def test_filtered_by_dates(client, dpo, history, glenys):
    client.force_login(dpo)
    response = client.get(
        reverse("privacy:person_audit", args=[glenys.uuid]),
        {"date_from": "2026-03-03", "date_to": "2026-03-03"},
    )
    assert _details(response) == ["Llinos opens the case"]


def test_someone_outside_the_scheme_is_404(client, dpo, history, bethan):
    client.force_login(dpo)
    assert client.get(reverse("privacy:person_audit", args=[bethan.uuid])).status_code == 404


@pytest.mark.parametrize("who", ["coordinator", "link_worker", "referrer", "admin"])
def test_only_the_dpo_may_read_a_persons_history(client, everyone, glenys, who):
    client.force_login(everyone[who])
    assert client.get(reverse("privacy:person_audit", args=[glenys.uuid])).status_code == 404


def test_reading_a_persons_history_is_audited_naming_them(client, dpo, glenys):
    client.force_login(dpo)
    client.get(reverse("privacy:person_audit", args=[glenys.uuid]))
    own = AuditEvent.objects.filter(actor=dpo).latest("pk")
    assert own.detail == "audit trail of a person"
    assert list(own.subjects.values_list("person_uuid", flat=True)) == [glenys.uuid]


def test_a_persons_history_query_count_does_not_grow(
    client, dpo, glenys, scheme, django_assert_num_queries
):
    def add(n):
        for _ in range(n):
            reader = UserFactory(role="link_worker", organisation=scheme)
            audit_view(actor=reader, what="case", people=[glenys, ReferralFactory().person])

    add(2)
    client.force_login(dpo)
    url = reverse("privacy:person_audit", args=[glenys.uuid])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(20)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


# A user's history ------------------------------------------------------------------------


def test_a_scheme_users_history_is_everything_they_did(client, dpo, history, link_worker):
    client.force_login(dpo)
    response = client.get(reverse("privacy:user_audit", args=[link_worker.uuid]))
    assert _details(response) == ["Llinos opens a Glannau case", "Llinos opens the case"]
    page = response.content.decode()
    assert "What Llinos Watkins did" in page
    assert "Everything they did here" in page
    # Bethan is not Dewi's to see: the read is there, she is not named.
    assert "Bethan" not in page
    assert "1 person outside this scheme" in page


def test_an_outsiders_history_is_only_what_they_did_with_the_schemes_people(
    client, dpo, history, gp
):
    audit_view(actor=gp, what="Gwen reads someone else", people=[PersonFactory()])
    client.force_login(dpo)
    response = client.get(reverse("privacy:user_audit", args=[gp.uuid]))
    assert _details(response) == ["Gwen's list"]
    assert "They do not work for this scheme" in response.content.decode()


def test_someone_who_never_touched_the_scheme_is_404(client, dpo, history, outsider_coordinator):
    client.force_login(dpo)
    url = reverse("privacy:user_audit", args=[outsider_coordinator.uuid])
    assert client.get(url).status_code == 404


def test_an_unknown_user_is_404(client, dpo):
    client.force_login(dpo)
    url = reverse("privacy:user_audit", args=["00000000-0000-0000-0000-000000000000"])
    assert client.get(url).status_code == 404


def test_a_users_history_filtered_by_action(client, dpo, history, coordinator):
    client.force_login(dpo)
    url = reverse("privacy:user_audit", args=[coordinator.uuid])
    assert _details(client.get(url, {"action": "login"})) == ["Carys signs in"]
    assert _details(client.get(url, {"action": "view"})) == []


@pytest.mark.parametrize("who", ["coordinator", "link_worker", "outsider_coordinator"])
def test_only_the_dpo_may_read_a_users_history(client, everyone, link_worker, who):
    client.force_login(everyone[who])
    assert client.get(reverse("privacy:user_audit", args=[link_worker.uuid])).status_code == 404


def test_another_schemes_dpo_cannot_read_our_users(client, outsider_dpo, history, link_worker):
    client.force_login(outsider_dpo)
    # Llinos read Bethan, who is Glannau's: that read is Owain's to see, nothing else of hers.
    response = client.get(reverse("privacy:user_audit", args=[link_worker.uuid]))
    assert _details(response) == ["Llinos opens a Glannau case"]
    assert "Glenys" not in response.content.decode()


def test_a_users_history_query_count_does_not_grow(
    client, dpo, link_worker, scheme, django_assert_num_queries
):
    def add(n):
        for _ in range(n):
            person = ReferralFactory(scheme=scheme).person
            audit_view(actor=link_worker, what="case", people=[person])

    add(2)
    client.force_login(dpo)
    url = reverse("privacy:user_audit", args=[link_worker.uuid])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(20)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)
