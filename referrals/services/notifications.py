"""In-app notifications and notices to colleagues."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from core.outbox import outbox_email_queue

from ..models import (
    Notification,
)


def notification_mark_read(*, notification, user):
    Notification.objects.filter(pk=notification.pk, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def colleague_notify(*, referral, recipient, message, now=None):
    """Tell a colleague (a link worker) about a case, pointing at the referral page."""
    user_notify(
        recipient=recipient,
        referral=referral,
        message=message,
        url_path=reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid}),
        now=now,
    )


def user_notify(*, recipient, referral, message, url_path, now=None) -> None:
    """Tell one user about something on a referral: an in-app notification and an email.

    `message` is a callable returning the text, called in the recipient's
    language. Call inside the transaction making the change: the outbox row
    exists exactly when the change does and is sent after commit.
    """
    if recipient is None or not recipient.is_active:
        return
    now = now or timezone.now()
    with translation.override(recipient.preferred_language):
        context = {
            "referral": referral,
            "recipient": recipient,
            "message": message(),
            "url": settings.SITE_URL.rstrip("/") + url_path,
        }
        Notification.objects.create(
            recipient=recipient, referral=referral, message=context["message"], created_at=now
        )
        if recipient.email:
            outbox_email_queue(
                about_object=referral,
                to=recipient.email,
                template="referrals/email/notice",
                context=context,
                now=now,
            )
