"""Redis down, cache and broker both: the pages still work, at once (issue 18, point 2).

Redis is pointed at a port nothing listens on, so every call to it is refused. Mair
still refers herself; Carys, the coordinator, still accepts a referral, and the
feedback email to Rhian waits in the outbox for the sweep instead of holding Carys's
page for 19 seconds. How long it costs is bounded by counting: one broker connection
attempt for each thing queued, and one cache call, not one per rate-limit check.
"""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from redis.connection import AbstractConnection

from core import tasks
from core.models import OutboxEmail
from referrals.models import Referral, Status
from tests.outage import ConnectionAttempts, broker_at, caches_at, closed_port

pytestmark = pytest.mark.django_db


@contextmanager
def redis_out_of_reach():
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with caches_at(url), broker_at(url):
        yield


@pytest.fixture
def redis_down():
    with redis_out_of_reach():
        yield


class RedisAttempts:
    """How many connections to Redis the caches tried to open."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        real = AbstractConnection.connect

        def counted(connection):
            self.count += 1
            return real(connection)

        self.patch = mock.patch.object(AbstractConnection, "connect", counted)
        self.patch.start()
        return self

    def __exit__(self, *exc):
        self.patch.stop()


@pytest.fixture
def mairs_form():
    return {
        "given_name": "Mair",
        "family_name": "Huws",
        "date_of_birth": "1960-07-14",
        "postcode": "sa1 1aa",
        "phone": "07700 900456",
        "contact_method": "phone",
        "preferred_language": "cy",
        "reasons": ["loneliness"],
        "what_matters": "Hoffwn gwrdd â phobl newydd.",
        "consent_to_referral": "on",
        "consent_to_share": "on",
        "website": "",
    }


def test_mair_refers_herself_while_redis_is_down(
    client, scheme, mairs_form, redis_down, django_capture_on_commit_callbacks, caplog
):
    with RedisAttempts() as cache, django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            response = client.post("/self-referral/", {**mairs_form, "given_name": f"Mair{n}"})
            assert response.status_code == 302
    assert Referral.objects.count() == 3
    # The rate limit was tried once, then left alone for a few seconds: no cost per request.
    assert cache.count == 1
    assert "rate limits are not enforced" in caplog.text


def test_carys_accepts_at_once_and_the_email_waits_for_the_sweep(
    client, coordinator, referral, redis_down, django_capture_on_commit_callbacks, caplog
):
    client.force_login(coordinator)
    with (
        ConnectionAttempts().counting() as broker,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("referrals:action", args=[referral.uuid, "accept"]),
            {"accept-version": referral.version, "accept-note": "Suitable"},
        )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED
    # One attempt for the one email, no reconnection loop, no retried publish.
    assert broker.count == 1
    email = OutboxEmail.objects.get()
    assert (email.to, email.sent_at, email.attempts) == (referral.referring_user.email, None, 0)
    # The outbox's doorbell could not queue a run: the email waits for the sweep.
    assert "Emails not sent now; left for the periodic resend" in caplog.text
    assert mail.outbox == []


def test_the_sweep_sends_it_once_redis_is_back(
    client, coordinator, referral, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with redis_out_of_reach(), django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("referrals:action", args=[referral.uuid, "accept"]),
            {"accept-version": referral.version, "accept-note": "Suitable"},
        )
    assert mail.outbox == []
    # Beat queues the sweep every five minutes; it sends what is older than two.
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(minutes=3))
    assert tasks.resend_unsent_emails.delay().get() == 1
    assert len(mail.outbox) == 1
