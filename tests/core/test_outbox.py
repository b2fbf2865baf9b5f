"""One outbox for every app's email: written with the change, sent after commit, never lost.

Rhian, a GP receptionist, is told about a referral. The email is an outbox
row from the moment the change commits; a worker sends it; a broker or SMTP
outage delays it until the sweep, and nothing sends it twice.
"""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from core import outbox, tasks
from core.models import OutboxEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONTEXT = {"message": "Your referral was accepted.", "url": "https://example.org/r/1"}


def queue(rhian, **kwargs):
    return outbox.outbox_email_queue(
        to="rhian@example.org",
        template="referrals/email/notice",
        context={**CONTEXT, "recipient": rhian},
        **kwargs,
    )


@pytest.fixture
def rhian(db):
    return UserFactory(username="rhian", first_name="Rhian", last_name="Owen")


def broker_down():
    return mock.patch.object(
        tasks.send_outbox_email,
        "apply_async",
        side_effect=OperationalError("Error 111 connecting to redis:6379. Connection refused."),
    )


def test_it_writes_the_email_with_subject_text_and_html(rhian):
    email = queue(rhian, about_object=rhian)
    assert email.subject == "Your referral was accepted."
    assert "Dear Rhian Owen," in email.body_text and "https://example.org/r/1" in email.body_text
    assert email.body_html
    assert email.about == f"accounts.user:{rhian.uuid}"
    assert email.sent_at is None


def test_it_sends_only_after_commit(rhian, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = queue(rhian)
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    [message] = mail.outbox
    assert message.to == ["rhian@example.org"] and message.subject == email.subject
    assert message.alternatives[0][1] == "text/html"
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 1


def test_nothing_is_written_or_sent_when_the_change_rolls_back(rhian):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(rhian)
        raise RuntimeError
    assert not OutboxEmail.objects.exists() and mail.outbox == []


def test_a_broker_outage_leaves_it_for_the_sweep(rhian, django_capture_on_commit_callbacks):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        email = queue(rhian)  # the change commits; no error reaches the person
    assert mail.outbox == []
    assert outbox.outbox_resend_unsent() == 0  # too fresh: its own task may still come
    OutboxEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert tasks.resend_unsent_emails.delay().get() == 1
    assert tasks.resend_unsent_emails.delay().get() == 0  # run twice: sent once
    assert len(mail.outbox) == 1


def test_an_smtp_outage_is_recorded_and_retried_by_the_sweep(rhian, monkeypatch):
    email = queue(rhian)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", refuse)
        with pytest.raises(outbox.EmailNotSent):
            outbox.outbox_email_send(email_id=email.pk)
        assert outbox.outbox_resend_unsent(older_than=timedelta(0)) == 0
    email.refresh_from_db()
    assert (email.sent_at, email.attempts) == (None, 2)
    assert email.last_error.startswith("SMTPServerDisconnected")
    assert outbox.outbox_resend_unsent(older_than=timedelta(0)) == 1
    email.refresh_from_db()
    assert email.sent_at is not None and email.last_error == ""


def test_sending_twice_sends_once(rhian):
    email = queue(rhian)
    assert outbox.outbox_email_send(email_id=email.pk) is True
    assert outbox.outbox_email_send(email_id=email.pk) is False
    assert tasks.send_outbox_email.delay(email.pk).get() is False
    assert len(mail.outbox) == 1


def test_the_sweep_gives_up_after_the_last_attempt(rhian):
    email = queue(rhian)
    OutboxEmail.objects.filter(pk=email.pk).update(attempts=50)
    assert outbox.outbox_resend_unsent(older_than=timedelta(0)) == 0
    assert mail.outbox == []


def test_the_sweep_runs_on_celery_beat():
    [entry] = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "core.resend_unsent_emails"
    ]
    assert entry["schedule"] <= 10 * 60


def test_messages_queued_under_the_old_task_names_are_still_worked(rhian):
    # A message queued before the outbox moved to core carries referrals' names.
    from config.celery import app

    email = queue(rhian)
    assert app.tasks["referrals.tasks.send_outbox_email"].delay(email.pk).get() is True
    assert app.tasks["referrals.tasks.resend_unsent_emails"].delay().get() == 0
    assert len(mail.outbox) == 1


def test_the_services_do_not_import_the_tasks():
    # services -> tasks points one way: the outbox queues its task by name.
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(outbox))
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not any("tasks" in name for name in imported)


# At-least-once, with one Message-ID (README, "What survives what") -----------------------------


def test_the_message_id_is_the_rows_and_the_sites(rhian, settings):
    settings.SITE_URL = "https://sp.example.org"
    email = queue(rhian)
    outbox.outbox_email_send(email_id=email.pk)
    [message] = mail.outbox
    assert message.message()["Message-ID"] == f"<outbox.{email.uuid}@sp.example.org>"


def test_a_second_send_carries_the_same_message_id(rhian):
    """A worker killed after the mail server took the email, before the row said so."""
    email = queue(rhian)
    outbox.outbox_email_send(email_id=email.pk)
    OutboxEmail.objects.filter(pk=email.pk).update(sent_at=None)  # the row never heard
    outbox.outbox_resend_unsent(older_than=timedelta(0))
    first, second = (message.message()["Message-ID"] for message in mail.outbox)
    assert first == second == outbox.outbox_message_id(email)


def test_each_email_has_its_own_message_id(rhian):
    one, two = queue(rhian), queue(rhian)
    assert outbox.outbox_message_id(one) != outbox.outbox_message_id(two)


def test_the_mail_server_has_a_timeout(settings):
    from django.core.mail import get_connection

    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert smtp.timeout == settings.EMAIL_TIMEOUT == 20
