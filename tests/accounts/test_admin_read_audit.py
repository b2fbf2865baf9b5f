"""Ifan administers the system: each admin page that shows people writes one audit row.

The list names the people and references of the rows on the page; a row's own
page, its history and its delete confirmation name that row's people; the
audit trail's own pages are audited too (an event names whom it was about).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Role
from accounts.services import audit_view
from core.models import OutboxEmail
from referrals.models import Notification
from tests.factories import ContactFactory, PersonFactory, ReferralFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ifan(client):
    user = UserFactory(username="ifan", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def glenys():
    return ReferralFactory(person__given_name="Glenys", person__family_name="Pritchard")


def read_by(user):
    return AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.VIEW)


def named(event):
    return {subject.person_uuid for subject in event.subjects.all()}


def test_the_list_of_people_names_everyone_on_the_page(client, ifan, glenys):
    others = PersonFactory.create_batch(2)
    html = client.get(reverse("admin:referrals_person_changelist")).content.decode()
    assert "Pritchard" in html
    event = read_by(ifan).get()
    assert event.detail == "admin referrals.person list"
    assert named(event) == {glenys.person.uuid, *(person.uuid for person in others)}


def test_a_search_that_finds_no_one_writes_a_row_naming_no_one(client, ifan, glenys):
    client.get(reverse("admin:referrals_person_changelist"), {"q": "Nobody"})
    event = read_by(ifan).get()
    assert event.path.endswith("?q=Nobody")
    assert not event.subjects.exists()


def test_the_list_writes_the_same_queries_for_2_people_or_20(client, ifan):
    url = reverse("admin:referrals_person_changelist")
    PersonFactory.create_batch(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    PersonFactory.create_batch(18)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_a_referral_page_names_its_person_and_reference(client, ifan, glenys):
    client.get(reverse("admin:referrals_referral_change", args=[glenys.pk]))
    event = read_by(ifan).get()
    assert (event.object_type, event.object_id) == ("referrals.referral", str(glenys.uuid))
    assert named(event) == {glenys.person.uuid}
    assert event.records == [glenys.reference]


def test_a_contacts_list_names_the_people_of_the_referrals(client, ifan, glenys):
    ContactFactory(referral=glenys, recorded_by=UserFactory(role=Role.LINK_WORKER))
    client.get(reverse("admin:linkworkers_contact_changelist"))
    event = read_by(ifan).get()
    assert (named(event), event.records) == ({glenys.person.uuid}, [glenys.reference])


def test_a_persons_history_is_a_read_of_them(client, ifan, glenys):
    client.get(reverse("admin:referrals_person_history", args=[glenys.person.pk]))
    assert named(read_by(ifan).get()) == {glenys.person.uuid}


def test_reading_the_audit_trail_is_audited(client, ifan, glenys):
    seen = audit_view(actor=UserFactory(), what="referral list", people=[glenys.person],
                      records=[glenys.reference])  # fmt: skip
    client.get(reverse("admin:accounts_auditevent_change", args=[seen.pk]))
    event = read_by(ifan).get()
    assert named(event) == {glenys.person.uuid}
    assert event.records == [glenys.reference]


def test_an_email_names_the_person_it_is_about_or_refers_to(client, ifan, glenys):
    bryn = ReferralFactory()
    now = timezone.now()
    OutboxEmail.objects.create(
        about=f"referrals.referral:{glenys.uuid}",
        to="glenys@example.org",
        subject="Your social prescription",
        body_text="",
        created_at=now,
    )
    OutboxEmail.objects.create(to="gp@example.org", subject=f"Referral {bryn.reference}: Accepted",
                               body_text="", created_at=now)  # fmt: skip
    client.get(reverse("admin:core_outboxemail_changelist"))
    event = read_by(ifan).get()
    assert named(event) == {glenys.person.uuid, bryn.person.uuid}
    assert sorted(event.records) == sorted([glenys.reference, bryn.reference])


def test_a_delete_page_listing_notifications_names_their_people(client, ifan, glenys):
    ffion = UserFactory(username="ffion")
    Notification.objects.create(recipient=ffion, referral=glenys, created_at=timezone.now(),
                                message="Referral for Glenys Pritchard was accepted.")  # fmt: skip
    html = client.get(reverse("admin:accounts_user_delete", args=[ffion.pk])).content.decode()
    assert "Glenys Pritchard was accepted" in html
    event = read_by(ifan).get()
    assert event.detail == "admin accounts.user delete page"
    assert named(event) == {glenys.person.uuid}


def test_a_delete_page_naming_only_kinds_of_rows_names_no_one(client, ifan, glenys):
    html = client.get(reverse("admin:accounts_user_delete", args=[glenys.referring_user.pk]))
    assert "Pritchard" not in html.content.decode()
    assert not read_by(ifan).get().subjects.exists()


def test_a_refused_page_writes_nothing(client, ifan, glenys):
    # People cannot be deleted in the admin: the page is refused, and shows no one.
    response = client.get(reverse("admin:referrals_person_delete", args=[glenys.person.pk]))
    assert response.status_code == 403
    assert not read_by(ifan).exists()
