"""Rhian hears back: a notification and an email at accepted or rejected, first contact, closure.

Email goes through the outbox: written with the change, sent after commit,
and re-sent later by the periodic task when SMTP or the broker is down.
"""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from kombu.exceptions import OperationalError

from core import outbox, tasks
from core.models import OutboxEmail
from linkworkers.services import referral_allocate
from referrals import services
from referrals.models import Notification

pytestmark = pytest.mark.django_db


def accept(referral, coordinator, capture):
    with capture(execute=True):
        return services.referral_accept(referral=referral, actor=coordinator)


def test_accepting_tells_the_referrer(referral, coordinator, django_capture_on_commit_callbacks):
    accept(referral, coordinator, django_capture_on_commit_callbacks)
    notification = Notification.objects.get()
    assert notification.recipient == referral.referring_user
    assert (
        f"Referral {referral.reference} for Glenys Pritchard was accepted" in notification.message
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [referral.referring_user.email]
    assert message.subject == f"Referral {referral.reference}: Accepted"
    assert f"/referrals/{referral.uuid}/" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert OutboxEmail.objects.get().sent_at is not None


def test_the_email_is_in_the_referrers_language(
    referral, coordinator, django_capture_on_commit_callbacks
):
    referral.referring_user.preferred_language = "cy"
    referral.referring_user.save()
    accept(referral, coordinator, django_capture_on_commit_callbacks)
    assert "/cy/referrals/" in mail.outbox[0].body
    assert "Atgyfeiriad" in mail.outbox[0].subject
    assert '<html lang="cy">' in mail.outbox[0].alternatives[0][0]
    assert "Annwyl" in mail.outbox[0].body
    assert "Cafodd atgyfeiriad" in Notification.objects.get().message


def test_feedback_at_each_milestone_but_not_allocation_or_hold(
    referral, coordinator, link_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = services.referral_accept(referral=referral, actor=coordinator)
        r = referral_allocate(referral=r, actor=coordinator, link_worker=link_worker)
        r = services.referral_start(referral=r, actor=link_worker)
        r = services.referral_hold(
            referral=r, actor=link_worker, review_date=timezone.localdate() + timedelta(days=3)
        )
        r = services.referral_resume(referral=r, actor=link_worker)
        services.referral_close(
            referral=r, actor=link_worker, reason="completed", summary="Singing again."
        )
    # The referrer hears at accepted, first contact and closure; the link worker of the allocation.
    gp = referral.referring_user
    assert Notification.objects.filter(recipient=gp).count() == 3
    assert [m.to for m in mail.outbox].count([gp.email]) == 3
    assert Notification.objects.filter(recipient=link_worker, kind="allocated").count() == 1
    assert "Singing again." in mail.outbox[-1].body


def test_a_self_referral_has_no_referrer_to_tell(
    referral, coordinator, django_capture_on_commit_callbacks
):
    referral.referring_user = None
    referral.source_kind = "self"
    referral.referring_organisation = None
    referral.save()
    accept(referral, coordinator, django_capture_on_commit_callbacks)
    assert not Notification.objects.exists() and not mail.outbox


def test_an_smtp_outage_leaves_the_email_unsent_then_it_goes_once(
    referral, coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", refuse)
        accept(referral, coordinator, django_capture_on_commit_callbacks)
    referral.refresh_from_db()
    assert referral.status == "accepted"  # the change itself is never lost
    email = OutboxEmail.objects.get()
    assert email.sent_at is None and email.attempts >= 1
    assert "SMTPServerDisconnected" in email.last_error
    assert not mail.outbox

    assert outbox.outbox_resend_unsent(older_than=timedelta(0)) == 1
    assert outbox.outbox_resend_unsent(older_than=timedelta(0)) == 0
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.sent_at is not None


def test_a_broker_outage_loses_nothing(
    referral, coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.send_outbox_email, "apply_async", broker_down)
        accept(referral, coordinator, django_capture_on_commit_callbacks)
    assert OutboxEmail.objects.filter(sent_at__isnull=True).count() == 1
    assert not mail.outbox
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert tasks.resend_unsent_emails.delay().get() == 1
    assert len(mail.outbox) == 1


def test_sending_twice_sends_once(referral, coordinator, django_capture_on_commit_callbacks):
    accept(referral, coordinator, django_capture_on_commit_callbacks)
    email = OutboxEmail.objects.get()
    assert outbox.outbox_email_send(email_id=email.pk) is False
    assert tasks.send_outbox_email.delay(email.pk).get() is False
    assert len(mail.outbox) == 1


def test_nothing_is_sent_if_the_change_rolls_back(referral, coordinator):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.referral_accept(referral=referral, actor=coordinator)
        raise RuntimeError
    assert not OutboxEmail.objects.exists() and not Notification.objects.exists()
    assert not mail.outbox


def test_she_reads_her_notifications(
    client, referral, coordinator, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    accept(referral, coordinator, django_capture_on_commit_callbacks)
    rhian = referral.referring_user
    client.force_login(rhian)
    page = client.get(reverse("notifications:list"))
    assert referral.reference in page.content.decode()
    notification = Notification.objects.get()
    response = client.post(reverse("notifications:open", args=[notification.uuid]))
    assert response.url == reverse("referrals:detail", args=[referral.uuid])
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_nobody_else_can_open_her_notification(
    client, referral, coordinator, outsider_referrer, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    accept(referral, coordinator, django_capture_on_commit_callbacks)
    client.force_login(outsider_referrer)
    url = reverse("notifications:open", args=[Notification.objects.get().uuid])
    assert client.post(url).status_code == 404


def test_the_notifications_list_does_not_grow_queries_with_rows(
    client, referral, django_assert_max_num_queries
):
    from django.urls import reverse
    from django.utils import timezone

    rhian = referral.referring_user
    client.force_login(rhian)

    def notify(count):
        Notification.objects.bulk_create(
            Notification(recipient=rhian, referral=referral, message="m", created_at=timezone.now())
            for _ in range(count)
        )

    notify(2)
    # 12: with the audit row and the people it names (two inserts, whatever the rows)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("notifications:list"))
    notify(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("notifications:list"))


def test_provider_staff_land_on_their_referrals_page_not_the_record(client, referral):
    """Providers never see the referral itself: their notices open what was sent to them."""
    from django.urls import reverse

    from tests.factories import OrganisationFactory, UserFactory

    prys = UserFactory(role="provider", organisation=OrganisationFactory(kind="provider"))
    notice = Notification.objects.create(
        recipient=prys, referral=referral, message="A referral to you", created_at=timezone.now()
    )
    client.force_login(prys)
    assert "A referral to you" in client.get(reverse("notifications:list")).content.decode()
    response = client.post(reverse("notifications:open", args=[notice.uuid]))
    assert response.url == reverse("providers:connections")
