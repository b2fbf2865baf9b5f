"""The outbox's doorbell: one send run queued for many emails, none lost (core/outbox.py).

Where the cache is shared (Redis) and tasks go to real workers, an email committed
rings a doorbell instead of queueing its own task: the first ring queues a run,
rings while that run waits queue nothing, and the run clears the doorbell before
it reads, so whatever commits after it rings again. A busy afternoon of partner
referrals then costs the broker one message per run, not one per email.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from core import outbox, tasks
from core.cache import FailOpenRedisCache
from core.models import OutboxEmail
from tests.factories import UserFactory
from tests.outage import closed_port

pytestmark = pytest.mark.django_db(transaction=True)


class Doorbell:
    """The shared cache's part in it: `claim_or_read` is Redis's SET NX and GET in one round
    trip, the value when the run asked for starts; None is an outage."""

    def __init__(self):
        self.rung = False
        self.down = False
        self.asked = 0
        self.starts_at = None

    def claim_or_read(self, key, value, timeout):
        assert (key, timeout) == (outbox.WAKE_KEY, outbox.WAKE_SECONDS)
        self.asked += 1
        if self.down:
            return None, value
        if self.rung:
            return False, self.starts_at
        self.rung, self.starts_at = True, value
        return True, value

    def delete(self, key):
        self.rung = False
        return True

    def is_paused(self):
        return self.down


@pytest.fixture
def clock(monkeypatch):
    """The outbox's clock, moved on by hand."""

    class Clock:
        now = 1_800_000_000.0

        def move(self, seconds):
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(outbox.time, "time", lambda: clock.now)
    return clock


@pytest.fixture
def doorbell(monkeypatch):
    bell = Doorbell()
    monkeypatch.setattr(outbox, "_doorbell", lambda: bell)
    return bell


@pytest.fixture
def queued(monkeypatch):
    """The tasks queued, by name, instead of being run (a worker takes them later)."""
    names = []

    def enqueue(name, *args, countdown=None):
        names.append((name, *args))
        if name == outbox.SEND_WAITING_TASK:
            # A second later: the emails of that second ride on the same run.
            assert countdown == outbox.WAKE_DELAY_SECONDS

    monkeypatch.setattr(outbox, "enqueue", enqueue)
    return names


@pytest.fixture
def rhian():
    return UserFactory(username="rhian", first_name="Rhian", last_name="Owen")


def write(number):
    with transaction.atomic():
        return outbox.outbox_email_write(
            to=f"coordinator{number}@example.org",
            subject=f"New referral to triage: SP-{number}",
            body_text="See more.",
        )


def test_emails_committed_while_a_run_waits_queue_nothing_more(doorbell, queued, rhian):
    first, second, third = write(1), write(2), write(3)
    assert queued == [(outbox.SEND_WAITING_TASK,)]  # one run for the three
    assert tasks.send_waiting_emails() == 3
    assert [m.to for m in mail.outbox] == [[e.to] for e in (first, second, third)]
    assert not doorbell.rung  # cleared by the run, before it read
    write(4)  # committed after the run began: rings again
    assert queued == [(outbox.SEND_WAITING_TASK,)] * 2


def test_a_run_sends_each_email_once_and_only_untried_ones(doorbell, queued, rhian):
    first, second = write(1), write(2)
    outbox.outbox_email_send(email_id=first.pk)
    OutboxEmail.objects.filter(pk=second.pk).update(attempts=3)  # the periodic resend's
    assert outbox.outbox_send_waiting() == 0
    assert outbox.outbox_send_waiting() == 0
    assert len(mail.outbox) == 1


def test_two_emails_in_one_change_ring_once(doorbell, queued, rhian):
    with transaction.atomic():
        for number in (1, 2):
            outbox.outbox_email_write(to=f"c{number}@example.org", subject="S", body_text="B")
    assert queued == [(outbox.SEND_WAITING_TASK,)]


def test_nothing_rings_when_the_change_rolls_back(doorbell, queued):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.outbox_email_write(to="c@example.org", subject="S", body_text="B")
        raise RuntimeError
    assert queued == [] and not doorbell.rung


def test_when_the_broker_refuses_the_next_email_rings_again(doorbell, monkeypatch, caplog):
    refused = []

    def broker_down(name, *args, countdown=None):
        refused.append(name)
        raise ConnectionRefusedError("Error 111 connecting to redis:6379")

    monkeypatch.setattr(outbox, "enqueue", broker_down)
    first = write(1)  # committed; nobody is told of the outage
    assert not doorbell.rung
    write(2)
    assert refused == [outbox.SEND_WAITING_TASK] * 2
    assert "left for the periodic resend" in caplog.text
    # The periodic resend sends both once they are old enough.
    OutboxEmail.objects.update(created_at=first.created_at - timedelta(minutes=5))
    assert outbox.outbox_resend_unsent() == 2 and len(mail.outbox) == 2


def test_when_the_cache_cannot_say_each_email_queues_a_run(doorbell, queued):
    # Redis may have gone with the run asked for: none is taken on trust.
    doorbell.down = True
    write(1), write(2)
    assert queued == [(outbox.SEND_WAITING_TASK,)] * 2
    assert outbox.outbox_send_waiting() == 2 and outbox.outbox_send_waiting() == 0


def test_a_process_that_knows_a_run_is_coming_does_not_ask_again(doorbell, queued, clock):
    write(1)  # rings: the run starts a second from now
    write(2)
    assert (doorbell.asked, queued) == (1, [(outbox.SEND_WAITING_TASK,)])
    # Another process rang first: this one hears when that run starts, and asks no more.
    outbox._quiet_until = float("-inf")
    write(3)
    write(4)
    assert (doorbell.asked, queued) == (2, [(outbox.SEND_WAITING_TASK,)])
    # Shortly before the run starts it asks again (the key is still set: nothing queued)...
    clock.move(outbox.WAKE_DELAY_SECONDS - outbox.RUN_START_MARGIN_SECONDS)
    write(5)
    assert (doorbell.asked, queued) == (3, [(outbox.SEND_WAITING_TASK,)])
    # ...and once the run has begun (it clears the key), the next email rings for another.
    doorbell.delete(outbox.WAKE_KEY)
    write(6)
    assert (doorbell.asked, queued) == (4, [(outbox.SEND_WAITING_TASK,)] * 2)
    assert outbox.outbox_send_waiting() == 6


def test_a_run_in_this_process_forgets_the_run_it_knew_of(doorbell, queued, clock):
    write(1)
    assert outbox.outbox_send_waiting() == 1  # this process's worker started it
    write(2)  # committed after the run began: rings again at once
    assert queued == [(outbox.SEND_WAITING_TASK,)] * 2


def test_a_refusing_mail_server_ends_the_run(doorbell, queued, monkeypatch):
    write(1), write(2), write(3)
    tries = []

    def refuse(self, *args, **kwargs):
        tries.append(self.to)
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    assert outbox.outbox_send_waiting() == 0
    assert tries == [["coordinator1@example.org"]]  # not three times the time-out
    assert list(OutboxEmail.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 0, 0]


def test_a_full_run_asks_for_another(doorbell, queued):
    write(1), write(2), write(3)
    queued.clear()
    assert outbox.outbox_send_waiting(limit=2) == 2
    assert queued == [(outbox.SEND_WAITING_TASK,)]
    assert outbox.outbox_send_waiting(limit=2) == 1 and queued == [(outbox.SEND_WAITING_TASK,)]


def test_without_a_shared_cache_each_email_queues_its_own_send(queued, settings):
    # The embedded default (no REDIS_URL): a doorbell in one process's memory would
    # never be cleared by a worker's run.
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    assert outbox._doorbell() is None
    first, second = write(1), write(2)
    assert queued == [(outbox.SEND_TASK, first.pk), (outbox.SEND_TASK, second.pk)]


def test_the_doorbell_is_the_shared_cache_unless_tasks_run_at_once(settings, monkeypatch):
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        },
    }
    monkeypatch.setattr(outbox, "eager", lambda: True)  # tests, `make run`
    assert outbox._doorbell() is None
    monkeypatch.setattr(outbox, "eager", lambda: False)  # real workers
    assert isinstance(outbox._doorbell(), FailOpenRedisCache)


def test_an_email_that_cannot_be_written_holds_up_no_other(doorbell, queued, monkeypatch, caplog):
    def broken(key):
        raise KeyError(key)

    monkeypatch.setitem(outbox._renderers, "tests.broken", broken)
    with transaction.atomic():
        stuck = outbox.outbox_email_queue_later(
            to="c@example.org", renderer="tests.broken", key="7"
        )
    write(2)
    assert outbox.outbox_send_waiting() == 1  # the one behind it still goes
    assert [m.to for m in mail.outbox] == [["coordinator2@example.org"]]
    stuck.refresh_from_db()
    assert (stuck.sent_at, stuck.attempts) == (None, 1)  # left for the periodic resend
    assert stuck.last_error.startswith("Not written: KeyError")
    assert "could not be written" in caplog.text


def test_a_run_long_overdue_is_asked_after_once_a_second(doorbell, queued, clock):
    write(1)  # rings: a run is queued, but no worker takes it
    clock.move(outbox.WAKE_DELAY_SECONDS + outbox.RUN_OVERDUE_SECONDS + 1)
    write(2)  # the run is long overdue: asked once...
    write(3)  # ...then not for every email
    assert (doorbell.asked, queued) == (2, [(outbox.SEND_WAITING_TASK,)])
    clock.move(outbox.RUN_OVERDUE_ASK_EVERY_SECONDS)
    write(4)  # a second on, asked again
    assert doorbell.asked == 3
    # The workers are back: the run starts and clears the key; within the second the next
    # email rings for another, and that run reads what the second left behind.
    doorbell.delete(outbox.WAKE_KEY)
    clock.move(outbox.RUN_OVERDUE_ASK_EVERY_SECONDS)
    write(5)
    assert queued == [(outbox.SEND_WAITING_TASK,)] * 2
    assert outbox.outbox_send_waiting() == 5


def test_a_run_said_to_start_far_ahead_quiets_a_process_no_longer_than_one_asked_for_now(
    doorbell, queued, clock
):
    # Rung from a machine whose clock runs an hour ahead: its run "starts" in an hour.
    doorbell.rung, doorbell.starts_at = True, clock.now + 3600
    write(1)
    clock.move(outbox.WAKE_DELAY_SECONDS)
    write(2)  # asks again a second on, as after a run asked for now
    assert doorbell.asked == 2
