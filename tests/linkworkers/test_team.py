"""Carys, the coordinator, sees her team's load and the scheme's waiting list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Role
from linkworkers.selectors import team_for, waiting_list_for
from referrals.models import Status
from tests.factories import LinkWorkerFactory, ReferralFactory, UserFactory

pytestmark = pytest.mark.django_db


def _cases(link_worker, n, status=Status.IN_PROGRESS, **extra):
    return [
        ReferralFactory(scheme=link_worker.organisation, link_worker=link_worker, status=status,
                        allocated_at=timezone.now(), **extra)
        for _ in range(n)
    ]  # fmt: skip


def test_each_link_worker_has_their_load_against_capacity(
    coordinator, link_worker, other_link_worker
):
    link_worker.link_worker_profile.capacity = 2
    link_worker.link_worker_profile.save()
    _cases(link_worker, 3)
    _cases(other_link_worker, 1, status=Status.ON_HOLD, hold_review_date=timezone.localdate())
    rows = {row.user.username: row for row in team_for(coordinator)}
    assert rows["llinos"].open_cases == 3 and rows["llinos"].over_capacity
    assert rows["dafydd"].by_status == {Status.ON_HOLD: 1}
    assert not rows["dafydd"].over_capacity


def test_closed_cases_and_other_schemes_do_not_count(
    coordinator, link_worker, outsider_coordinator
):
    _cases(link_worker, 1, status=Status.CLOSED)
    LinkWorkerFactory(user=UserFactory(role=Role.LINK_WORKER,
                                       organisation=outsider_coordinator.organisation))  # fmt: skip
    rows = team_for(coordinator)
    assert [row.user.username for row in rows] == ["llinos"]
    assert rows[0].open_cases == 0


def test_overdue_items_are_counted(coordinator, link_worker):
    long_ago = timezone.now() - timezone.timedelta(days=30)
    ReferralFactory(scheme=link_worker.organisation, link_worker=link_worker,
                    status=Status.ALLOCATED, allocated_at=long_ago)  # fmt: skip
    assert team_for(coordinator)[0].overdue == 1


def test_the_page_marks_over_capacity(client, coordinator, link_worker):
    link_worker.link_worker_profile.capacity = 1
    link_worker.link_worker_profile.save()
    _cases(link_worker, 2)
    client.force_login(coordinator)
    response = client.get(reverse("linkworkers:team"))
    assert response.status_code == 200
    assert 'data-testid="over-capacity"' in response.content.decode()
    assert AuditEvent.objects.filter(actor=coordinator, detail__startswith="team:").exists()


def test_a_link_worker_cannot_open_the_team_page(client, link_worker):
    client.force_login(link_worker)
    assert client.get(reverse("linkworkers:team")).status_code == 403


def test_the_team_page_query_count_does_not_grow(client, coordinator, scheme,
                                                 django_assert_num_queries):  # fmt: skip
    def add(n):
        for _ in range(n):
            worker = LinkWorkerFactory(user=UserFactory(role=Role.LINK_WORKER, organisation=scheme))
            _cases(worker.user, 3)

    add(2)
    client.force_login(coordinator)
    url = reverse("linkworkers:team")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(20)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["rows"]) == 22


def test_the_waiting_list_is_oldest_first_with_days_waiting(coordinator, link_worker, scheme):
    today = timezone.localdate()
    now = timezone.now()
    newer = ReferralFactory(scheme=scheme, status=Status.ACCEPTED,
                            received_at=now - timezone.timedelta(days=2))  # fmt: skip
    older = ReferralFactory(scheme=scheme, status=Status.ALLOCATED, link_worker=link_worker,
                            received_at=now - timezone.timedelta(days=9))  # fmt: skip
    ReferralFactory(scheme=scheme, status=Status.IN_PROGRESS, link_worker=link_worker,
                    first_contact_at=now)  # fmt: skip
    ReferralFactory(scheme=scheme, status=Status.RECEIVED)
    rows = waiting_list_for(coordinator, today=today)
    assert [(row.referral, row.waiting_days, row.stage) for row in rows] == [
        (older, 9, "first_contact"),
        (newer, 2, "allocation"),
    ]


def test_the_waiting_list_page(client, coordinator, scheme, outsider_coordinator):
    ReferralFactory(scheme=scheme, status=Status.ACCEPTED, person__given_name="Glenys")
    ReferralFactory(scheme=outsider_coordinator.organisation, status=Status.ACCEPTED,
                    person__given_name="Bethan")  # fmt: skip
    client.force_login(coordinator)
    page = client.get(reverse("linkworkers:waiting")).content.decode()
    assert "Glenys" in page and "Bethan" not in page


def test_a_link_worker_cannot_open_the_waiting_list(client, link_worker):
    client.force_login(link_worker)
    assert client.get(reverse("linkworkers:waiting")).status_code == 403
