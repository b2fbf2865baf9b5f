"""Every referral page or API answer that shows people writes one audit row naming them.

Rhian (GP receptionist) and Carys (coordinator) open their lists; each list is
one row naming the references shown and, as subjects, the people on them. A list
that shows no one still writes its row (README, "Using it"), naming no one.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, AuditSubject
from accounts.services import api_client_create
from core import prepared
from referrals.models import Notification, PossibleDuplicate, Referral
from tests.factories import PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def views():
    return AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).order_by("pk")


def named(event):
    return {subject.person_uuid for subject in event.subjects.all()}


@pytest.fixture
def three(gp_receptionist, scheme, cluster):
    """Three referrals Rhian's practice made to Carys's scheme."""
    return ReferralFactory.create_batch(
        3, referring_user=gp_receptionist, referring_organisation=gp_receptionist.organisation,
        scheme=scheme, area=cluster,
    )  # fmt: skip


@pytest.mark.parametrize(("who", "page", "what"), [
    ("gp_receptionist", "referrals:list", "referral list"),
    ("coordinator", "referrals:list", "referral list"),
    ("coordinator", "referrals:triage", "triage queue"),
])  # fmt: skip
def test_a_list_writes_one_row_naming_everyone_on_it(request, client, three, who, page, what):
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.get(reverse(page))
    event = views().get()
    assert (event.actor, event.detail, event.path) == (user, what, reverse(page))
    assert named(event) == {referral.person.uuid for referral in three}
    assert sorted(event.records) == sorted(referral.reference for referral in three)


def test_a_second_page_names_only_its_own_rows(client, gp_receptionist, scheme):
    ReferralFactory.create_batch(27, referring_organisation=gp_receptionist.organisation,
                                 scheme=scheme)  # fmt: skip
    client.force_login(gp_receptionist)
    shown = client.get(reverse("referrals:list"), {"page": 2}).context["page"].object_list
    event = views().get()
    assert len(shown) == 2
    assert set(event.records) == {referral.reference for referral in shown}
    assert named(event) == {referral.person.uuid for referral in shown}


def test_an_empty_list_writes_one_row_naming_no_one(client, outsider_referrer, three):
    client.force_login(outsider_referrer)
    client.get(reverse("referrals:list"))
    event = views().get()
    assert (event.actor, event.records) == (outsider_referrer, [])
    assert not AuditSubject.objects.exists()


def test_the_list_writes_a_constant_number_of_rows_whatever_its_length(
    client, gp_receptionist, scheme, django_assert_num_queries
):
    org = gp_receptionist.organisation
    ReferralFactory.create_batch(2, referring_organisation=org, scheme=scheme)
    client.force_login(gp_receptionist)
    client.get(reverse("referrals:list"))  # the first request after signing in updates last_login
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("referrals:list"))
    ReferralFactory.create_batch(20, referring_organisation=org, scheme=scheme)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("referrals:list"))
    sent = [prepared.written_out(q["sql"], connection) for q in few.captured_queries]
    writes = [sql for sql in sent if "INSERT INTO" in sql]
    # The row and all its subjects: one statement on PostgreSQL, one insert each elsewhere.
    assert len(writes) == (1 if connection.vendor == "postgresql" else 2)


def test_the_notifications_name_the_people_they_are_about(client, gp_receptionist, three):
    for referral in three[:2]:
        Notification.objects.create(recipient=gp_receptionist, referral=referral,
                                    message="Accepted", created_at=timezone.now())  # fmt: skip
    client.force_login(gp_receptionist)
    client.get(reverse("notifications:list"))
    event = views().get()
    assert event.detail == "notifications"
    assert named(event) == {referral.person.uuid for referral in three[:2]}


def test_the_sent_page_names_the_person(client, gp_receptionist, referral):
    client.force_login(gp_receptionist)
    client.get(reverse("referrals:submitted", args=[referral.uuid]))
    event = views().get()
    assert named(event) == {referral.person.uuid}
    assert event.records == [referral.reference]


@pytest.mark.parametrize("who", ["gp_receptionist", "coordinator"])
def test_a_home_page_writes_one_row_naming_its_lists(request, client, three, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.get(reverse("home"))
    event = views().get()
    assert event.detail == "home page"
    assert named(event) == {referral.person.uuid for referral in three}


def test_a_home_page_that_lists_no_one_by_design_writes_nothing(client, commissioner, three):
    client.force_login(commissioner)
    client.get(reverse("home"))
    assert not views().exists()


def test_the_duplicates_queue_names_both_records_of_each_pair(
    client, coordinator, scheme, referral
):
    known = PersonFactory(given_name="Glenys", family_name="Pritchard")
    PossibleDuplicate.objects.create(scheme=scheme, person=referral.person, existing=known,
                                     referral=referral, reason="demographics",
                                     created_at=timezone.now())  # fmt: skip
    client.force_login(coordinator)
    client.get(reverse("referrals:duplicates"))
    event = views().get()
    assert named(event) == {referral.person.uuid, known.uuid}
    assert event.records == [referral.reference]


# The person reading their own reference, after referring themself ----------------------


@pytest.fixture
def no_rate_limit():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def test_the_thank_you_page_is_a_read_of_the_persons_record(client, scheme, no_rate_limit):
    client.post("/self-referral/", {
        "given_name": "Mair", "family_name": "Huws", "date_of_birth": "1960-07-14",
        "postcode": "sa1 1aa", "phone": "07700 900456", "contact_method": "phone",
        "preferred_language": "cy", "reasons": ["loneliness"], "what_matters": "Cwmni.",
        "consent_to_referral": "on", "consent_to_share": "on", "website": "",
    })  # fmt: skip
    referral = Referral.objects.get()
    assert referral.reference in client.get(reverse("self_referral_done")).content.decode()
    event = views().get()
    assert event.actor is None
    assert named(event) == {referral.person.uuid}
    # Opened again, the page no longer shows the reference, and writes nothing.
    assert referral.reference not in client.get(reverse("self_referral_done")).content.decode()
    assert views().count() == 1


# The partner API -------------------------------------------------------------------


@pytest.fixture
def afon_token(gp_receptionist):
    _client, token = api_client_create(name="Afon EMIS", organisation=gp_receptionist.organisation,
                                       scopes=["referrals:read"])  # fmt: skip
    return token


def test_the_api_list_names_the_people_behind_the_references(client, afon_token, three):
    client.get("/api/v1/referrals/", headers={"Authorization": f"Bearer {afon_token}"})
    event = views().get()
    assert event.actor is None and event.api_client.name == "Afon EMIS"
    assert event.detail == "partner API referral list"
    assert named(event) == {referral.person.uuid for referral in three}
    assert sorted(event.records) == sorted(referral.reference for referral in three)
