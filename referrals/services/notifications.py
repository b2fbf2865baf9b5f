"""In-app notifications for every role, and their emails (README, "Notifications").

One door: every event that tells someone (a new referral to triage, a case
allocated, a provider's answer, a reminder due, news for the referrer) calls
`user_notify` (or `colleague_notify`) inside the transaction making the change.
The email follows the recipient's choice (User.notification_email): one at
once through the core outbox, or the daily digest (`notification_digests_send`,
run by Celery beat), which lists what is still unread and not yet emailed and
sends nothing when there is nothing.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.models import NotificationEmail, Role, User
from core.inserts import insert_unkeyed
from core.outbox import (
    Written,
    outbox_email_queue,
    outbox_email_queue_later,
    outbox_render,
    outbox_renderer,
)

from ..models import Notification
from ..selectors import scheme_coordinators_to_tell

logger = logging.getLogger(__name__)

# The most notifications one digest lists; the rest wait on the notifications page.
DIGEST_LIMIT = 50


def notification_mark_read(*, notification, user):
    Notification.objects.filter(pk=notification.pk, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_target(notification: Notification, user: User) -> str:
    """Where "Open" leads: the page the notification was written for, on this site only."""
    path = notification.url_path
    if path and path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        return path
    if user.role == Role.PROVIDER:
        # Provider staff never see the referral itself, only what was sent to their services.
        return reverse("providers:connections")
    return reverse("referrals:detail", kwargs={"referral_uuid": notification.referral.uuid})


def colleague_notify(*, referral, recipient, message, now=None, kind=Notification.Kind.OTHER):
    """Tell a colleague (a link worker) about a case, pointing at the referral page."""
    user_notify(
        recipient=recipient,
        referral=referral,
        message=message,
        url_path=reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid}),
        now=now,
        kind=kind,
    )


def user_notify(
    *, recipient, referral, message: Callable[[], str], url_path: str, now=None,
    kind: str = Notification.Kind.OTHER,
) -> Notification | None:  # fmt: skip
    """Tell one user about something on a referral: an in-app notification and an email.

    `message` is a callable returning the text, called in the recipient's
    language. Call inside the transaction making the change: the outbox row
    exists exactly when the change does and is sent after commit. A recipient
    who chose the daily digest gets no email now: the digest lists it. Inside a batch
    of writes (core.inserts.batched) the notification returned has no id yet.
    """
    if recipient is None or not recipient.is_active:
        return None
    now = now or timezone.now()
    with translation.override(recipient.preferred_language):
        text = message()
        at_once = recipient.notification_email != NotificationEmail.DAILY and recipient.email
        notification = Notification(
            recipient=recipient, referral=referral, kind=kind, message=text, url_path=url_path,
            created_at=now, emailed_at=now if at_once else None,
        )  # fmt: skip
        # Its key is never read here (the email names it by its uuid): in a batch of
        # writes (a partner's new referral) it goes with the others, in one round trip.
        insert_unkeyed([notification])
    if at_once:
        # Written by the worker that sends it (notice_email): the change pays for a row.
        outbox_email_queue_later(
            about_object=referral,
            to=recipient.email,
            renderer=NOTICE_EMAIL,
            key=str(notification.uuid),
            now=now,
        )
    return notification


NOTICE_EMAIL = "referrals.notice"


@outbox_renderer(NOTICE_EMAIL)
def notice_email(key: str) -> Written | None:
    """The email of one notification (`key`: its uuid), in its recipient's language; None once
    it is gone or no longer for its recipient (`_still_for`)."""
    # An email queued before the notice was named by its uuid names it by its id.
    named = {"pk": key} if key.isascii() and key.isdigit() else {"uuid": key}
    notification = (
        Notification.objects.select_related("recipient", "referral").filter(**named).first()
    )
    if notification is None or not _still_for(notification):
        return None
    recipient = notification.recipient
    with translation.override(recipient.preferred_language):
        return outbox_render(
            "referrals/email/notice",
            {
                "referral": notification.referral,
                "recipient": recipient,
                "message": notification.message,
                "url": settings.SITE_URL.rstrip("/") + notification.url_path,
            },
        )


def _still_for(notification: Notification) -> bool:
    """Whether the notice's email is still for its recipient: nothing goes to someone
    deactivated since, nor news of a referral to triage to someone no longer a coordinator
    of its scheme (a process may have told them in the second before it heard of the
    change: referrals.selectors, scheme_coordinators_to_tell)."""
    recipient = notification.recipient
    if not recipient.is_active:
        return False
    if notification.kind == Notification.Kind.NEW_REFERRAL:
        return (
            recipient.role == Role.COORDINATOR
            and recipient.organisation_id == notification.referral.scheme_id
        )
    return True


def coordinators_notify_new_referral(*, referral, now=None) -> int:
    """Tell the scheme's coordinators that a referral (or self-referral) awaits triage."""
    path = reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})
    self_referral = referral.referring_organisation_id is None

    def message() -> str:
        names = {"name": referral.person, "ref": referral.reference}
        if self_referral:
            return _("New self-referral to triage: %(name)s (%(ref)s).") % names
        return _("New referral to triage: %(name)s (%(ref)s).") % names

    told = 0
    for coordinator in scheme_coordinators_to_tell(referral.scheme_id):
        told += bool(
            user_notify(
                recipient=coordinator,
                referral=referral,
                message=message,
                url_path=path,
                now=now,
                kind=Notification.Kind.NEW_REFERRAL,
            )  # fmt: skip
        )
    return told


# The daily digest ---------------------------------------------------------------


def notification_digest_send(*, user: User, now: datetime | None = None) -> bool:
    """Email one user the notifications still unread and not yet emailed. True when sent.

    The rows are locked and marked emailed in the transaction that writes the
    outbox email, so a second run (or a second worker at once) finds nothing
    left and sends nothing; a digest of nothing is never sent.
    """
    now = now or timezone.now()
    if not (user.is_active and user.email):
        return False
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(recipient=user, emailed_at__isnull=True, read_at__isnull=True,
                    created_at__lte=now)
            .order_by("created_at", "pk")[:DIGEST_LIMIT]
        )  # fmt: skip
        if not due:
            return False
        Notification.objects.filter(pk__in=[n.pk for n in due]).update(emailed_at=now)
        with translation.override(user.preferred_language):
            outbox_email_queue(
                to=user.email,
                template="referrals/email/digest",
                context={
                    "recipient": user,
                    "notifications": due,
                    "more": Notification.objects.filter(
                        recipient=user, emailed_at__isnull=True, read_at__isnull=True
                    ).exists(),
                    "url": settings.SITE_URL.rstrip("/") + reverse("notifications:list"),
                },
                now=now,
            )
    return True


def notification_digests_send(*, now: datetime | None = None) -> int:
    """The daily digest for every active user who chose it and has something unread."""
    now = now or timezone.now()
    users = (
        User.objects.filter(
            is_active=True,
            notification_email=NotificationEmail.DAILY,
            notifications__emailed_at__isnull=True,
            notifications__read_at__isnull=True,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    sent = 0
    for user in users:
        try:
            sent += notification_digest_send(user=user, now=now)
        except Exception:
            # One user's failure (a template, a locked row) must not stop everyone else's.
            logger.exception("Notification digest for user %s not sent", user.pk)
    return sent
