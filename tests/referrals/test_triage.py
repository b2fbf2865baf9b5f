"""Carys, the coordinator, works through the triage queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import ReferralEvent, Status
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _post(client, referral, action, **data):
    payload = {
        f"{action}-{key}": value for key, value in {"version": referral.version, **data}.items()
    }
    return client.post(reverse("referrals:action", args=[referral.uuid, action]), payload)


def test_the_queue_puts_received_urgent_and_old_first(client, coordinator, referral, scheme):
    now = timezone.now()
    old_routine = ReferralFactory(scheme=scheme, received_at=now - timedelta(days=9))
    new_urgent = ReferralFactory(scheme=scheme, urgency="urgent", received_at=now)
    accepted = ReferralFactory(
        scheme=scheme, status=Status.ACCEPTED, received_at=now - timedelta(days=30)
    )
    ReferralFactory(scheme=scheme, status=Status.REJECTED)
    client.force_login(coordinator)
    page = client.get(reverse("referrals:triage")).context["page"]
    assert list(page.object_list) == [new_urgent, old_routine, referral, accepted]


def test_she_accepts_a_referral(client, coordinator, referral):
    client.force_login(coordinator)
    response = _post(client, referral, "accept", note="Suitable")
    # She stays on the referral, to allocate it next.
    assert response.status_code == 302
    assert response.url == reverse("referrals:detail", args=[referral.uuid])
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED
    note = ReferralEvent.objects.get(kind="note")
    assert (note.note, note.visible_to_referrer) == ("Suitable", False)


def test_she_rejects_with_a_reason_and_an_alternative(client, coordinator, referral):
    client.force_login(coordinator)
    _post(
        client,
        referral,
        "reject",
        reason="needs_clinical",
        suggested_alternative="Community mental health team",
    )
    referral.refresh_from_db()
    assert (referral.status, referral.rejection_reason) == ("rejected", "needs_clinical")
    assert referral.suggested_alternative == "Community mental health team"


def test_rejecting_without_an_alternative_names_the_field(client, coordinator, referral):
    client.force_login(coordinator)
    response = _post(client, referral, "reject", reason="other", suggested_alternative="")
    assert response.status_code == 200
    assert "suggested_alternative" in response.context["forms"]["reject"].errors
    referral.refresh_from_db()
    assert referral.status == "received"


def test_an_unknown_rejection_reason_names_the_field(client, coordinator, referral):
    client.force_login(coordinator)
    response = _post(client, referral, "reject", reason="grumpy", suggested_alternative="x")
    assert "reason" in response.context["forms"]["reject"].errors


def test_allocation_suggests_a_link_worker_with_room_who_fits(
    client, coordinator, referral, link_worker, other_link_worker
):
    referral.status = Status.ACCEPTED
    referral.person.preferred_language = "cy"
    referral.person.save()
    referral.save()
    client.force_login(coordinator)
    detail = client.get(reverse("referrals:detail", args=[referral.uuid])).content.decode()
    assert reverse("linkworkers:allocate", args=[referral.uuid]) in detail
    response = client.get(reverse("linkworkers:allocate", args=[referral.uuid]))
    assert response.context["suggestion"].user == link_worker
    assert response.context["form"].initial["link_worker"] == link_worker.pk


def test_a_full_caseload_is_passed_over(
    client, coordinator, referral, link_worker, other_link_worker, scheme
):
    profile = link_worker.link_worker_profile
    profile.capacity = 1
    profile.save()
    ReferralFactory(scheme=scheme, status=Status.IN_PROGRESS, link_worker=link_worker)
    referral.status = Status.ACCEPTED
    referral.save()
    client.force_login(coordinator)
    response = client.get(reverse("linkworkers:allocate", args=[referral.uuid]))
    assert response.context["suggestion"].user == other_link_worker


def test_she_can_choose_another_link_worker(
    client, coordinator, referral, link_worker, other_link_worker
):
    referral.status = Status.ACCEPTED
    referral.save()
    client.force_login(coordinator)
    url = reverse("linkworkers:allocate", args=[referral.uuid])
    payload = {"allocate-version": referral.version, "allocate-link_worker": other_link_worker.pk}
    assert client.post(url, payload).url == reverse("referrals:triage")
    referral.refresh_from_db()
    assert (referral.status, referral.link_worker) == ("allocated", other_link_worker)


def test_two_coordinators_on_one_referral_the_second_is_told(client, coordinator, referral, scheme):
    from tests.factories import UserFactory

    colleague = UserFactory(username="ffion", role="coordinator", organisation=scheme)
    client.force_login(colleague)
    _post(client, referral, "accept")
    client.force_login(coordinator)
    response = _post(client, referral, "reject", reason="other", suggested_alternative="Library")
    assert response.status_code == 302
    page = client.get(response.url)
    assert "This referral was changed by someone else" in page.content.decode()
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED


def test_the_queue_does_not_grow_queries_with_rows(
    client, coordinator, scheme, django_assert_max_num_queries
):
    client.force_login(coordinator)
    ReferralFactory.create_batch(3, scheme=scheme)
    # 13: with the audit row and the people it names (two inserts, whatever the rows)
    # and the header's unread notification count
    with django_assert_max_num_queries(13) as few:
        client.get(reverse("referrals:triage"))
    ReferralFactory.create_batch(20, scheme=scheme)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("referrals:triage"))


def test_a_referral_moved_out_of_her_scheme_while_she_looked_answers_404(
    client, coordinator, referral, outsider_coordinator, monkeypatch
):
    # Carys opened the referral; before she pressed accept it was routed to another scheme.
    seen = referral
    type(referral).objects.filter(pk=referral.pk).update(scheme=outsider_coordinator.organisation)
    monkeypatch.setattr("referrals.views.selectors.get_referral_for", lambda user, uuid: seen)
    client.force_login(coordinator)
    response = _post(client, referral, "accept", note="Suitable")
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == Status.RECEIVED


def test_a_move_her_role_may_not_make_is_refused_with_a_reason(client, gp_receptionist, referral):
    client.force_login(gp_receptionist)
    response = _post(client, referral, "accept", note="Suitable")
    assert response.status_code == 302
    assert response.url == reverse("referrals:detail", args=[referral.uuid])
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Your role cannot move a referral to Accepted."]
    referral.refresh_from_db()
    assert referral.status == Status.RECEIVED
