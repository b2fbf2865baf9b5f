"""The daily job: a reminder to the provider at 7 days, an automatic decline at 14."""

import pytest
from django.utils import timezone

from linkworkers import services
from linkworkers.models import ConnectionStatus, DeclineReason
from linkworkers.tasks import connection_reminders
from referrals.models import Notification
from tests.factories import ConnectionFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _waited(connection, days):
    connection.referred_at = timezone.now() - timezone.timedelta(days=days)
    connection.save()
    return connection


def test_at_7_days_prys_is_reminded_once(referred, prys):
    _waited(referred, 8)
    assert connection_reminders() == {"reminded": 1, "declined": 0}
    assert connection_reminders() == {"reminded": 0, "declined": 0}
    reminders = Notification.objects.filter(recipient=prys)
    assert reminders.count() == 1
    assert "has waited 7 days for your answer" in reminders.get().message
    referred.refresh_from_db()
    assert referred.reminder_sent_at is not None


def test_at_14_days_it_is_declined_once_and_llinos_told(referred, link_worker):
    _waited(referred, 15)
    assert connection_reminders() == {"reminded": 0, "declined": 1}
    assert connection_reminders() == {"reminded": 0, "declined": 0}
    referred.refresh_from_db()
    assert referred.status == ConnectionStatus.DECLINED
    assert referred.decline_reason == DeclineReason.NO_RESPONSE
    assert Notification.objects.filter(recipient=link_worker).count() == 1


def test_one_reminder_and_one_decline_when_run_twice(referred, link_worker, gardening):
    _waited(referred, 9)
    late = ConnectionFactory(
        referral=referred.referral,
        service=ServiceFactory(provider=gardening.provider),
        status="referred",
        created_by=link_worker,
    )
    _waited(late, 20)
    first, second = connection_reminders(), connection_reminders()
    assert first == {"reminded": 1, "declined": 1}
    assert second == {"reminded": 0, "declined": 0}


def test_a_fresh_referral_is_left_alone(referred):
    _waited(referred, 3)
    assert connection_reminders() == {"reminded": 0, "declined": 0}


def test_an_answered_referral_is_left_alone(referred, prys):
    _waited(referred, 20)
    services.connection_accept(connection=referred, actor=prys)
    assert connection_reminders() == {"reminded": 0, "declined": 0}


def test_an_automatic_decline_counts_in_the_share_without_a_reply_time(referred):
    _waited(referred, 15)
    connection_reminders()
    referred.service.refresh_from_db()
    assert str(referred.service.accepted_share) == "0.000"
    assert referred.service.usual_reply_days is None
