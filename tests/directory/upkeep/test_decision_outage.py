"""A broker outage when an editor decides delays the provider's email; it loses nothing."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from directory.models import ServiceChange
from directory.services import (
    service_change_approve,
    service_change_decisions_notify_pending,
    service_change_propose,
)
from directory.tasks import notify_pending_decisions, notify_service_change_decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def change(provider, garden):
    return service_change_propose(
        service=garden,
        actor=provider,
        data={"name_cy": "Gardd y gymuned", "capacity": "full", "waiting_band": ""},
    )


def broker_down():
    return mock.patch.object(
        notify_service_change_decision, "apply_async", side_effect=ConnectionError("broker down")
    )


def decided_long_ago(change):
    ServiceChange.objects.filter(pk=change.pk).update(
        decided_at=timezone.now() - timedelta(minutes=10)
    )


def test_a_decision_made_while_the_broker_is_down_sends_nothing_yet(
    editor, change, django_capture_on_commit_callbacks
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        service_change_approve(change=change, actor=editor)
    change.refresh_from_db()
    assert change.status == ServiceChange.Status.APPROVED  # the decision itself stands
    assert change.decision_notified_at is None
    assert mail.outbox == []


def test_the_sweep_sends_it_once_the_broker_is_back(
    editor, change, provider, django_capture_on_commit_callbacks
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        service_change_approve(change=change, actor=editor)
    decided_long_ago(change)
    with django_capture_on_commit_callbacks(execute=True):
        assert service_change_decisions_notify_pending() == 1
    assert [m.to for m in mail.outbox] == [[provider.email]]
    with django_capture_on_commit_callbacks(execute=True):
        assert service_change_decisions_notify_pending() == 0  # run twice: nothing more
    assert len(mail.outbox) == 1


def test_the_sweep_leaves_a_fresh_decision_to_its_own_task(
    editor, change, django_capture_on_commit_callbacks
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        service_change_approve(change=change, actor=editor)
    assert service_change_decisions_notify_pending() == 0
    assert mail.outbox == []


def test_a_decision_told_at_the_time_is_not_told_again(
    editor, change, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        service_change_approve(change=change, actor=editor)
    assert len(mail.outbox) == 1
    decided_long_ago(change)
    assert service_change_decisions_notify_pending() == 0
    assert len(mail.outbox) == 1


def test_the_sweep_runs_on_celery_beat():
    [entry] = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == notify_pending_decisions.name
    ]
    assert entry["schedule"] <= 15 * 60
