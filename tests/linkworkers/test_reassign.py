"""Carys reassigns Glenys's case from Llinos to Dafydd."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Role
from core.exceptions import InvalidTransition, StaleVersion, ValidationError
from core.models import OutboxEmail
from core.outbox import about
from linkworkers.services import referral_reassign
from referrals.models import Notification, ReferralEvent, Status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _post(client, case, to, version=None):
    return client.post(
        reverse("linkworkers:reassign", args=[case.uuid]),
        {"link_worker": str(to.uuid), "version": case.version if version is None else version},
    )


def test_it_reassigns(client, coordinator, case, other_link_worker):
    other_link_worker.email = "dafydd@example.org"
    other_link_worker.save()
    client.force_login(coordinator)
    response = _post(client, case, other_link_worker)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.link_worker == other_link_worker
    assert case.status == Status.ALLOCATED
    assert case.version == 4
    event = ReferralEvent.objects.get(referral=case, kind=ReferralEvent.Kind.NOTE)
    assert event.note == "Reassigned from Llinos Watkins to Dafydd Rees."
    assert not event.visible_to_referrer
    assert Notification.objects.filter(recipient=other_link_worker, referral=case).count() == 1
    assert OutboxEmail.objects.filter(to="dafydd@example.org", about=about(case)).count() == 1
    assert AuditEvent.objects.filter(
        actor=coordinator, action=AuditEvent.Action.CHANGE, detail__contains="reassigned"
    ).exists()


def test_the_new_link_worker_then_has_the_case(client, coordinator, case, other_link_worker,
                                               link_worker):  # fmt: skip
    referral_reassign(referral=case, actor=coordinator, link_worker=other_link_worker,
                      expected_version=case.version)  # fmt: skip
    client.force_login(other_link_worker)
    assert client.get(reverse("linkworkers:case", args=[case.uuid])).status_code == 200
    client.force_login(link_worker)
    assert client.get(reverse("linkworkers:case", args=[case.uuid])).status_code == 404


def test_it_rejects_get(client, coordinator, case):
    client.force_login(coordinator)
    assert client.get(reverse("linkworkers:reassign", args=[case.uuid])).status_code == 405


def test_an_outsider_coordinator_gets_404(client, outsider_coordinator, case, other_link_worker):
    client.force_login(outsider_coordinator)
    assert _post(client, case, other_link_worker).status_code == 404


def test_the_link_worker_may_not_reassign(client, link_worker, case, other_link_worker):
    client.force_login(link_worker)
    assert _post(client, case, other_link_worker).status_code == 403
    case.refresh_from_db()
    assert case.link_worker == link_worker


def test_a_link_worker_of_another_scheme_is_refused(client, coordinator, case, link_worker,
                                                    outsider_coordinator):  # fmt: skip
    stranger = UserFactory(role=Role.LINK_WORKER, organisation=outsider_coordinator.organisation)
    client.force_login(coordinator)
    response = _post(client, case, stranger)
    assert response.status_code == 400
    assert "link_worker" in response.context["reassign_form"].errors
    case.refresh_from_db()
    assert case.link_worker == link_worker and case.version == 3


def test_the_service_names_the_field(coordinator, case, outsider_coordinator):
    stranger = UserFactory(role=Role.LINK_WORKER, organisation=outsider_coordinator.organisation)
    with pytest.raises(ValidationError) as error:
        referral_reassign(referral=case, actor=coordinator, link_worker=stranger,
                          expected_version=3)  # fmt: skip
    assert error.value.field_errors == {"link_worker": ["Choose a link worker from this scheme."]}


def test_a_stale_version_changes_nothing(client, coordinator, case, link_worker, other_link_worker):
    client.force_login(coordinator)
    response = _post(client, case, other_link_worker, version=2)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.link_worker == link_worker
    with pytest.raises(StaleVersion):
        referral_reassign(referral=case, actor=coordinator, link_worker=other_link_worker,
                          expected_version=2)  # fmt: skip


def test_a_closed_case_is_not_reassigned(coordinator, case, other_link_worker):
    case.status = Status.CLOSED
    case.save()
    with pytest.raises(InvalidTransition, match="cannot be reassigned"):
        referral_reassign(referral=case, actor=coordinator, link_worker=other_link_worker,
                          expected_version=case.version)  # fmt: skip
