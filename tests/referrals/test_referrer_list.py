"""Rhian follows up her practice's referrals: the list, its filters, the page, cancelling."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from referrals.models import ReferralEvent, Status
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice_referrals(gp_receptionist, scheme, link_worker):
    now = timezone.now()
    org = gp_receptionist.organisation
    return {
        "old_closed": ReferralFactory(
            referring_organisation=org, scheme=scheme, status=Status.CLOSED,
            link_worker=link_worker, received_at=now - timedelta(days=60),
        ),
        "new_received": ReferralFactory(referring_organisation=org, scheme=scheme, received_at=now),
    }  # fmt: skip


def test_she_sees_her_practices_referrals(
    client, gp_receptionist, practice_referrals, outsider_referrer
):
    other = ReferralFactory(referring_organisation=outsider_referrer.organisation)
    client.force_login(gp_receptionist)
    html = client.get(reverse("referrals:list")).content.decode()
    assert all(r.reference in html for r in practice_referrals.values())
    assert other.reference not in html


def test_she_filters_by_status_and_date(client, gp_receptionist, practice_referrals):
    client.force_login(gp_receptionist)
    page = client.get(reverse("referrals:list"), {"status": "closed"}).context["page"]
    assert list(page.object_list) == [practice_referrals["old_closed"]]
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    page = client.get(reverse("referrals:list"), {"received_from": since}).context["page"]
    assert list(page.object_list) == [practice_referrals["new_received"]]
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    page = client.get(reverse("referrals:list"), {"received_to": until}).context["page"]
    assert list(page.object_list) == [practice_referrals["old_closed"]]


def test_the_list_is_paged(client, gp_receptionist, scheme):
    ReferralFactory.create_batch(
        27, referring_organisation=gp_receptionist.organisation, scheme=scheme
    )
    client.force_login(gp_receptionist)
    assert len(client.get(reverse("referrals:list")).context["page"].object_list) == 25
    assert len(client.get(reverse("referrals:list"), {"page": 2}).context["page"].object_list) == 2


def test_the_list_does_not_grow_queries_with_rows(
    client, gp_receptionist, scheme, django_assert_max_num_queries
):
    org = gp_receptionist.organisation
    ReferralFactory.create_batch(2, referring_organisation=org, scheme=scheme)
    client.force_login(gp_receptionist)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("referrals:list"))
    ReferralFactory.create_batch(20, referring_organisation=org, scheme=scheme)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("referrals:list"))
    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        client.get(reverse("home"))


def test_reading_the_page_is_audited(client, gp_receptionist, referral):
    client.force_login(gp_receptionist)
    client.get(reverse("referrals:detail", args=[referral.uuid]))
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.object_type, event.object_id) == (
        gp_receptionist,
        "referrals.person",
        str(referral.person.uuid),
    )


def test_she_does_not_see_link_worker_notes(client, gp_receptionist, referral, link_worker):
    ReferralEvent.objects.create(referral=referral, kind="note", actor=link_worker,
                                 note="Private: talked about her son", visible_to_referrer=False,
                                 created_at=timezone.now())  # fmt: skip
    client.force_login(gp_receptionist)
    html = client.get(reverse("referrals:detail", args=[referral.uuid])).content.decode()
    assert "Private: talked about her son" not in html
    client.force_login(link_worker)
    referral.status, referral.link_worker = Status.ALLOCATED, link_worker
    referral.save()
    html = client.get(reverse("referrals:detail", args=[referral.uuid])).content.decode()
    assert "Private: talked about her son" in html


def test_she_cancels_before_allocation(client, gp_receptionist, referral):
    client.force_login(gp_receptionist)
    url = reverse("referrals:action", args=[referral.uuid, "cancel"])
    response = client.post(url, {"cancel-version": 1, "cancel-reason": "Moved away"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Status.CANCELLED and referral.cancelled_at


def test_she_cannot_cancel_after_allocation(client, gp_receptionist, referral, link_worker):
    referral.status, referral.link_worker = Status.ALLOCATED, link_worker
    referral.save()
    client.force_login(gp_receptionist)
    page = client.get(reverse("referrals:detail", args=[referral.uuid]))
    assert "cancel" not in page.context["forms"]
    url = reverse("referrals:action", args=[referral.uuid, "cancel"])
    response = client.post(url, {"cancel-version": 1}, follow=True)
    assert "cannot be moved to Cancelled" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Status.ALLOCATED


def test_oversized_cancel_reason_names_the_field(client, gp_receptionist, referral):
    client.force_login(gp_receptionist)
    url = reverse("referrals:action", args=[referral.uuid, "cancel"])
    response = client.post(url, {"cancel-version": 1, "cancel-reason": "x" * 2001})
    assert "reason" in response.context["forms"]["cancel"].errors
    referral.refresh_from_db()
    assert referral.status == Status.RECEIVED


def test_the_link_worker_home_lists_open_cases(client, link_worker, scheme):
    mine = ReferralFactory(scheme=scheme, status=Status.IN_PROGRESS, link_worker=link_worker)
    ReferralFactory(scheme=scheme, status=Status.CLOSED, link_worker=link_worker)
    client.force_login(link_worker)
    assert list(client.get(reverse("home")).context["open_cases"]) == [mine]


def test_the_referrer_home_lists_recent_referrals(client, gp_receptionist, referral):
    client.force_login(gp_receptionist)
    response = client.get(reverse("home"))
    assert referral.reference in response.content.decode()
    assert "<h1>Your referrals</h1>" in response.content.decode()
