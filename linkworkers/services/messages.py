"""Texts and emails to the person through GOV.UK Notify: the prescription and session reminders.

Configured by NOTIFY_API_KEY, NOTIFY_BASE_URL and the template ids in
NOTIFY_TEMPLATES (README, "GOV.UK Notify"). Each template shows the personalisation
`((body))` (and an email's `((subject))`), which the app writes in the person's
language; a Welsh template (`..._cy`) is used for Welsh speakers when it is set.

The use case writes a `PersonMessage` row in its transaction (the outbox); after
commit `linkworkers.send_person_message` hands it to Notify; the
`linkworkers.person_messages_sweep` beat job sends what a broker or Notify
outage left and polls Notify for the status of what it took. The row holds no
address and no words: both are read when it is sent.

Without a key nothing goes through Notify: the prescription's email goes by the
site's own email as before, and the page shows the text to copy.
"""

import logging
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition
from core.queue import enqueue
from referrals.models import OPEN_STATUSES, ContactMethod, Referral, ReferralEvent

from ..models import Connection, ConnectionStatus, PersonMessage
from ..selectors import prescription_for, prescription_text

logger = logging.getLogger(__name__)

SEND_TASK = "linkworkers.send_person_message"
# Notify refuses a text message longer than this (6 parts of 153 characters).
SMS_LIMIT = 918
MAX_ATTEMPTS = 20
# Notify keeps a message's status for 7 days; after that there is nothing to ask.
STATUS_DAYS = 7
FAILED_STATUSES = {
    "permanent-failure", "temporary-failure", "technical-failure", "validation-failed",
}  # fmt: skip


def notify_configured() -> bool:
    return bool(settings.NOTIFY_API_KEY)


def notify_template(kind: str, channel: str, language: str) -> str:
    """The template id for this message, Welsh when the person reads Welsh and one is set."""
    templates = settings.NOTIFY_TEMPLATES
    base = f"{kind}_{channel}"
    if language == "cy" and templates.get(f"{base}_cy"):
        return str(templates[f"{base}_cy"])
    return str(templates.get(base) or "")


def _client() -> NotificationsAPIClient:
    # The library has no type hints (hence the ignores on its calls).
    return NotificationsAPIClient(  # type: ignore[no-untyped-call]
        settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=settings.NOTIFY_TIMEOUT
    )


def prescription_channel(referral: Referral) -> str | None:
    """How the prescription can go through Notify by the person's choice, or None."""
    person = referral.person
    if not notify_configured():
        return None
    if person.contact_method == ContactMethod.TEXT and person.phone:
        channel = PersonMessage.Channel.SMS
    elif person.contact_method == ContactMethod.EMAIL and person.email:
        channel = PersonMessage.Channel.EMAIL
    else:
        return None
    language = person.preferred_language
    return channel if notify_template("prescription", channel, language) else None


def _prescription_content(referral: Referral) -> tuple[str, str]:
    """(subject, body) of the prescription, in the person's language."""
    with translation.override(referral.person.preferred_language):
        body = prescription_text(referral=referral, prescription=prescription_for(referral))
        return _("Your social prescription"), str(body)


def prescription_notify_send(
    *, referral: Referral, actor: User, request: HttpRequest | None = None, channel: str
) -> PersonMessage:
    """Send the prescription through Notify (by text or email, as the person asked).

    Called by `prescription_email_send` and `prescription_text_send`, which check
    that the actor holds the case. Refuses a text longer than Notify takes.
    """
    person = referral.person
    if channel == PersonMessage.Channel.SMS:
        _subject, body = _prescription_content(referral)
        if len(body) > SMS_LIMIT:
            raise InvalidTransition(
                _(
                    "The prescription is too long for a text message (%(length)s characters, "
                    "%(limit)s at most): print it, or copy the parts that matter."
                )
                % {"length": len(body), "limit": SMS_LIMIT}
            )
    now = timezone.now()
    with transaction.atomic(), translation.override(person.preferred_language):
        message = PersonMessage.objects.create(
            referral=referral,
            kind=PersonMessage.Kind.PRESCRIPTION,
            channel=channel,
            language=person.preferred_language,
            template_id=notify_template("prescription", channel, person.preferred_language),
            created_by=actor,
            created_at=now,
        )
        ReferralEvent.objects.create(
            referral=referral,
            kind=ReferralEvent.Kind.MESSAGE,
            actor=actor,
            note=_("Social prescription sent to the person by text message.")
            if channel == PersonMessage.Channel.SMS
            else _("Social prescription emailed to the person."),
            visible_to_referrer=False,
            created_at=now,
        )
        audit_record(
            actor=actor, action=AuditEvent.Action.EXPORT, obj=referral, request=request,
            detail=f"social prescription sent through Notify ({channel})",
        )  # fmt: skip
        transaction.on_commit(partial(_enqueue, message.pk))
    return message


def _enqueue(message_id: int) -> None:
    try:
        enqueue(SEND_TASK, message_id)
    except Exception:
        logger.warning("Message %s not queued now; left for the sweep", message_id, exc_info=True)


def _reminder_content(message: PersonMessage) -> tuple[str, str]:
    connection = message.connection
    assert connection is not None and message.session_on is not None
    service = connection.service
    with translation.override(message.language):
        context = {
            "service": service.display_name,
            "day": date_format(message.session_on, "l j F"),
            "time": time_format(message.session_time, "H:i") if message.session_time else "",
            "phone": service.phone,
            "person": message.referral.person,
        }
        body = render_to_string("linkworkers/sms/session_reminder.txt", context).strip()
        return _("A reminder of your session"), body


def person_message_send(*, message_id: int) -> bool:
    """Hand one message to Notify unless it went already. Safe to run twice or in two workers.

    Returns True when this call sent it. A refusal by Notify (400: a bad number,
    a template that does not exist) fails the message for good; an outage
    leaves it for the sweep. The row is locked while it is sent, so two workers
    never send it at once.
    """
    with transaction.atomic():
        message = (
            PersonMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("referral__person", "connection__service")
            .filter(pk=message_id, state=PersonMessage.State.QUEUED)
            .first()
        )
        if message is None:
            return False
        person = message.referral.person
        if message.kind == PersonMessage.Kind.PRESCRIPTION:
            subject, body = _prescription_content(message.referral)
        else:
            subject, body = _reminder_content(message)
        message.attempts += 1
        try:
            if message.channel == PersonMessage.Channel.SMS:
                answer = _client().send_sms_notification(  # type: ignore[no-untyped-call]
                    phone_number=person.phone, template_id=message.template_id,
                    personalisation={"body": body}, reference=str(message.uuid),
                )  # fmt: skip
            else:
                answer = _client().send_email_notification(  # type: ignore[no-untyped-call]
                    email_address=person.email, template_id=message.template_id,
                    personalisation={"subject": subject, "body": body},
                    reference=str(message.uuid),
                )  # fmt: skip
        except APIError as error:
            message.last_error = f"{error.status_code}: {error.message}"[:500]
            if 400 <= error.status_code < 500 and error.status_code != 429:
                message.state = PersonMessage.State.FAILED
            message.save(update_fields=["attempts", "last_error", "state"])
            return False
        message.state = PersonMessage.State.SENT
        message.notify_id = answer["id"]
        message.notify_status = "created"
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(
            update_fields=[
                "attempts",
                "state",
                "notify_id",
                "notify_status",
                "sent_at",
                "last_error",
            ]
        )
    return True


def person_message_status_check(*, message: PersonMessage, now: datetime | None = None) -> str:
    """Ask Notify what became of a message it took; record it. Returns the Notify status."""
    now = now or timezone.now()
    try:
        answer: dict[str, Any] = _client().get_notification_by_id(  # type: ignore[no-untyped-call]
            str(message.notify_id)
        )
    except APIError as error:
        logger.warning("Notify status of %s not read: %s", message.pk, error)
        return message.notify_status
    status = str(answer.get("status", ""))[:40]
    state = message.state
    if status == "delivered":
        state = PersonMessage.State.DELIVERED
    elif status in FAILED_STATUSES:
        state = PersonMessage.State.FAILED
    PersonMessage.objects.filter(pk=message.pk, state=PersonMessage.State.SENT).update(
        notify_status=status, state=state, status_checked_at=now
    )
    return status


def person_messages_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The beat job: send what is still queued, and read the status of what Notify took."""
    now = now or timezone.now()
    if not notify_configured():
        return {"sent": 0, "checked": 0}
    queued = PersonMessage.objects.filter(
        state=PersonMessage.State.QUEUED,
        attempts__lt=MAX_ATTEMPTS,
        created_at__lte=now - timedelta(minutes=1),
    ).values_list("pk", flat=True)
    sent = sum(person_message_send(message_id=pk) for pk in list(queued[:200]))
    waiting = PersonMessage.objects.filter(
        state=PersonMessage.State.SENT, sent_at__gte=now - timedelta(days=STATUS_DAYS)
    ).order_by("pk")[:500]
    checked = 0
    for message in waiting:
        person_message_status_check(message=message, now=now)
        checked += 1
    return {"sent": sent, "checked": checked}


def session_reminders_send(*, today: date | None = None) -> int:
    """Remind each person, the day before, of a session of a service that accepted them.

    For open cases whose person asked for texts or emails, when Notify and the
    reminder template are set. Once per connection and session day: the row's
    unique (connection, day) is the claim, so a second run sends nothing.
    """
    if not notify_configured():
        return 0
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    connections = (
        Connection.objects.filter(
            status=ConnectionStatus.ACCEPTED,
            referral__status__in=OPEN_STATUSES,
            referral__person__contact_method__in=(ContactMethod.TEXT, ContactMethod.EMAIL),
            service__schedules__weekday=tomorrow.isoweekday(),
        )
        .select_related("referral__person", "service")
        .prefetch_related("service__schedules")
        .distinct()
    )
    queued = 0
    for connection in connections:
        person = connection.referral.person
        channel = (
            PersonMessage.Channel.SMS
            if person.contact_method == ContactMethod.TEXT
            else PersonMessage.Channel.EMAIL
        )
        if not (person.phone if channel == PersonMessage.Channel.SMS else person.email):
            continue
        template = notify_template("reminder", channel, person.preferred_language)
        if not template:
            continue
        sessions = sorted(
            s.opens_at for s in connection.service.schedules.all()
            if s.weekday == tomorrow.isoweekday()
        )  # fmt: skip
        with transaction.atomic():
            message, created = PersonMessage.objects.get_or_create(
                connection=connection, session_on=tomorrow,
                kind=PersonMessage.Kind.SESSION_REMINDER,
                defaults={
                    "referral": connection.referral, "channel": channel,
                    "language": person.preferred_language, "template_id": template,
                    "session_time": sessions[0] if sessions else None,
                    "created_at": timezone.now(),
                },
            )  # fmt: skip
            if created:
                transaction.on_commit(partial(_enqueue, message.pk))
                queued += 1
    return queued
