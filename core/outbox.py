"""The email outbox every app sends through (DESIGN.md, Reliability rules).

A use case writes the email with `outbox_email_queue` inside its own
transaction; after commit a worker sends it, and the `core.resend_unsent_emails`
beat job sends whatever a broker or SMTP outage left.

After commit the outbox rings a doorbell rather than queueing a task per email:
a key in the shared cache, set only if absent. The call that sets it queues one
`core.send_waiting_emails` to start a second later (WAKE_DELAY_SECONDS), which
clears the key and then sends every email not yet tried; until it starts, later
emails find the key set and queue nothing, since that run will see them (each
is committed before it rings, and the run reads after clearing the key). Under
a steady flow that is one task a second, however many emails, instead of one
each (issue 18, point 9: a Celery publish was a fifth of a partner's
referral). The doorbell holds when its run starts, and a process that has
heard it asks Redis nothing more until shortly before then (once a second
while the run is overdue): one round trip a second, not one per email. The
key expires after WAKE_SECONDS, so a run lost with its message is asked for
again; without a shared cache (the embedded default) or with tasks run
eagerly (tests, `make run`) each email queues its own `core.send_outbox_email`,
as before.

An email may also be written when it is sent (`outbox_email_queue_later`): the
row names a renderer an app registered (`outbox_renderer`) and what to render,
and the worker that sends it writes its words first, into the row, so the row
still shows what went. The request that makes the change then pays for a row,
not for three templates (a partner's new referral tells each coordinator).

Email is at-least-once; the row's lock keeps two workers from sending it at the
same moment. A worker that dies after the mail server took a message but
before the row was marked sent sends it again: every attempt carries the same
Message-ID (outbox_message_id), so mail systems that drop a message they
already have show it once (README, "What survives what").

The task is queued by name, so this module never imports core.tasks (the
tasks import it): services -> tasks points one way.
"""

import logging
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from .cache import FailOpenRedisCache
from .inserts import insert, insert_unkeyed
from .models import OutboxEmail
from .queue import eager, enqueue

logger = logging.getLogger(__name__)

SEND_TASK = "core.send_outbox_email"
SEND_WAITING_TASK = "core.send_waiting_emails"
RESEND_TASK = "core.resend_unsent_emails"

# The doorbell: set while a `core.send_waiting_emails` is queued and not yet started.
WAKE_KEY = "outbox:wake"
# A run lost with its message (a broker that lost its queue) is asked for again after this.
WAKE_SECONDS = 60
# A run starts this long after the ring that asked for it, so that the emails of the next
# second ring no more: under a steady flow, one run a second, however many emails.
WAKE_DELAY_SECONDS = 1.0
# The most emails one run sends; a run that sends this many asks for another.
WAITING_BATCH = 500


class EmailNotSent(Exception):
    """SMTP refused or was unreachable; the outbox row stays unsent for a retry."""


def about(obj: models.Model | None) -> str:
    """What an email concerns, as the outbox keeps it: `referrals.referral:<uuid>`."""
    if obj is None:
        return ""
    return f"{obj._meta.label_lower}:{getattr(obj, 'uuid', obj.pk)}"


def outbox_email_queue(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    about_object: models.Model | None = None,
    now: datetime | None = None,
) -> OutboxEmail:
    """Write one email to the outbox (subject, text and HTML templates); send after commit.

    Render in the recipient's language (call inside translation.override), and
    inside the transaction making the change the email reports.
    """
    words = outbox_render(template, context)
    return outbox_email_write(
        about_object=about_object,
        to=to,
        subject=words.subject,
        body_text=words.body_text,
        body_html=words.body_html,
        now=now,
    )


@dataclass(frozen=True)
class Written:
    """An email's words: what a renderer returns."""

    subject: str
    body_text: str
    body_html: str = ""


def outbox_render(template: str, context: dict[str, Any]) -> Written:
    """The subject, text and HTML of `template` (`<template>_subject.txt`, `.txt`, `.html`)."""
    return Written(
        subject=render_to_string(f"{template}_subject.txt", context),
        body_text=render_to_string(f"{template}.txt", context),
        body_html=render_to_string(f"{template}.html", context),
    )


# Renderers by name, registered by the apps (core knows none): each takes the key an email
# was queued with and returns its words, or None when what it was about is gone.
_renderers: dict[str, Callable[[str], Written | None]] = {}


def outbox_renderer(
    name: str,
) -> Callable[[Callable[[str], Written | None]], Callable[[str], Written | None]]:
    """Register a renderer for `outbox_email_queue_later` under `name` (import time, every
    process: an app's services module, imported by its AppConfig.ready())."""

    def register(render: Callable[[str], Written | None]) -> Callable[[str], Written | None]:
        _renderers[name] = render
        return render

    return register


def outbox_email_queue_later(
    *,
    to: str,
    renderer: str,
    key: str,
    about_object: models.Model | None = None,
    now: datetime | None = None,
) -> OutboxEmail:
    """Write one email to the outbox whose words the renderer `renderer` writes from `key`
    when it is sent. The renderer must find what it needs in the database then (a row this
    transaction writes), and render in the recipient's language itself."""
    if renderer not in _renderers:
        raise LookupError(f"No outbox renderer is registered as {renderer!r}.")
    return _queue(
        to=to, about_object=about_object, now=now, renderer=renderer, render_key=key,
        subject="", body_text="",
    )  # fmt: skip


def _written(email: OutboxEmail) -> bool:
    """Write the words of an email queued with a renderer, into the row (not yet saved).
    False when what it was about is gone: there is nothing to send."""
    if not email.renderer:
        return True
    words = _renderers[email.renderer](email.render_key)
    if words is None:
        return False
    email.subject = _one_line(words.subject)
    email.body_text, email.body_html = words.body_text, words.body_html
    email.renderer = email.render_key = ""
    return True


def outbox_email_write(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    about_object: models.Model | None = None,
    now: datetime | None = None,
) -> OutboxEmail:
    """Write one email already rendered to the outbox; it is sent after commit."""
    return _queue(
        to=to, about_object=about_object, now=now,
        subject=_one_line(subject), body_text=body_text, body_html=body_html,
    )  # fmt: skip


def _one_line(subject: str) -> str:
    return " ".join(subject.split())


def _queue(
    *, to: str, about_object: models.Model | None, now: datetime | None, **fields: Any
) -> OutboxEmail:
    """Insert the row, and have it sent once the transaction commits."""
    email = OutboxEmail(
        about=about(about_object), to=to, created_at=now or timezone.now(), **fields
    )
    if _doorbell() is None:
        insert([email])
        transaction.on_commit(partial(outbox_email_enqueue, email.pk))
    else:
        # The doorbell's run finds the row itself: in a batch of writes it needs no key.
        insert_unkeyed([email])
        transaction.on_commit(outbox_wake)
    return email


def _doorbell() -> FailOpenRedisCache | None:
    """The shared cache the doorbell hangs in, or None where each email queues its own task.

    The rate limits' cache: Redis where REDIS_URL is set, failing open in an outage.
    """
    cache: BaseCache = caches[settings.RATELIMIT_USE_CACHE]
    if eager() or not isinstance(cache, FailOpenRedisCache):
        return None
    return cache


# Until when (time.time()) this process rings no more. Normally shortly before the run it
# knows of starts (the time the ring that asked for it wrote in the doorbell): an email
# committed here until then is one that run will read, so ringing would only hear "already
# asked for" from Redis.
_quiet_until = float("-inf")
# Short of the run's start, ask again: room for the clocks of web and worker machines to differ.
RUN_START_MARGIN_SECONDS = 0.25
# A run this late has workers behind it or none running: until it starts, or its key lapses
# and a ring asks for another, each email would only hear "already asked for". A process that
# finds the run this late asks again once a second, not for every email. (What that costs: an
# email committed in that second just after the late run began is left to the next run anyone
# asks for, or to the periodic resend, when no other email follows it.)
RUN_OVERDUE_SECONDS = 5.0
RUN_OVERDUE_ASK_EVERY_SECONDS = 1.0


def _quiet_for(starts_at: float, now: float) -> float:
    """Until when to ring no more, knowing of a run that starts at `starts_at`."""
    if starts_at < now - RUN_OVERDUE_SECONDS:
        return now + RUN_OVERDUE_ASK_EVERY_SECONDS
    # Never later than a run asked for now would start: a machine whose clock runs far ahead
    # could otherwise silence the others long after its run's key has lapsed.
    return min(starts_at, now + WAKE_DELAY_SECONDS) - RUN_START_MARGIN_SECONDS


def outbox_wake() -> None:
    """After commit: have a worker send what waits, unless a run is already asked for."""
    global _quiet_until
    doorbell = _doorbell()
    now = time.time()
    # Not after an outage of Redis, which may have taken the queued run with it.
    if now < _quiet_until and not (doorbell is None or doorbell.is_paused()):
        return
    starts_at = now + WAKE_DELAY_SECONDS
    if doorbell is not None:
        # The doorbell holds when the run it asked for starts. None (the cache cannot say)
        # queues a run too: better two than none.
        claimed, starts_at = doorbell.claim_or_read(WAKE_KEY, starts_at, WAKE_SECONDS)
        if claimed is False:
            _quiet_until = _quiet_for(starts_at, now)
            return
    try:
        enqueue(SEND_WAITING_TASK, countdown=WAKE_DELAY_SECONDS)
    except Exception:
        if doorbell is not None:
            # Ring again next time: nothing was queued.
            doorbell.delete(WAKE_KEY)
        logger.warning("Emails not sent now; left for the periodic resend", exc_info=True)
        return
    _quiet_until = _quiet_for(starts_at, now)


def outbox_send_waiting(*, limit: int = WAITING_BATCH) -> int:
    """Send every email not yet tried, oldest first (what the doorbell asks for).

    Returns how many this run sent. The doorbell is cleared first, so an email
    committed from now on rings again. A mail server that refuses ends the run:
    the rest keep for the next run or the periodic resend, instead of each
    waiting out EMAIL_TIMEOUT now.
    """
    global _quiet_until
    doorbell = _doorbell()
    if doorbell is not None:
        doorbell.delete(WAKE_KEY)
    # The run this process knew of is this one: what commits from now on rings again.
    _quiet_until = float("-inf")
    waiting = list(
        OutboxEmail.objects.filter(sent_at__isnull=True, attempts=0)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for email_id in waiting:
        try:
            sent += outbox_email_send(email_id=email_id)
        except EmailNotSent:
            logger.warning("Email %s not sent; left for the periodic resend", email_id)
            return sent
    if len(waiting) == limit:
        outbox_wake()
    return sent


def outbox_email_enqueue(email_id: int) -> None:
    """Queue the send task; a broker outage leaves the row for the periodic resend."""
    try:
        # By name: a signature runs the registered task (eagerly in tests), never importing it.
        enqueue(SEND_TASK, email_id)
    except Exception:
        # Broker down (or, in eager mode, SMTP down after the task's retries):
        # the row stays unsent and the periodic resend picks it up later. The
        # change the person made is already committed and must not fail now.
        logger.warning(
            "Email %s not sent now; left for the periodic resend", email_id, exc_info=True
        )


def outbox_message_id(email: OutboxEmail) -> str:
    """The email's Message-ID, from its row and the site's domain: the same on every attempt.

    Django would make a new, random one (make_msgid) each time it sends.
    """
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<outbox.{email.uuid}@{domain}>"


def outbox_email_send(*, email_id: int) -> bool:
    """Send one outbox email unless already sent. Safe to run twice, or in two workers at once.

    Returns True when this call sent it. Raises EmailNotSent (after recording
    the attempt) when SMTP fails, so the caller can retry later.
    """
    error = None
    with transaction.atomic():
        # The lock makes a second worker skip a row that is being sent now.
        email = (
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:
            return False
        words_written_now = bool(email.renderer)
        try:
            with transaction.atomic():
                written = _written(email)
        except Exception as exc:
            # A renderer that fails (a bug, or one no longer registered) must not hold up the
            # emails behind it: the attempt is recorded, and the periodic resend tries again.
            logger.exception("Email %s could not be written", email.pk)
            email.attempts += 1
            email.last_error = f"Not written: {type(exc).__name__}: {exc}"[:500]
            email.save(update_fields=["attempts", "last_error"])
            return False
        if not written:
            # What it was about is gone (an erasure took it): nothing to tell anyone.
            logger.info("Email %s dropped: what it was about is gone", email.pk)
            email.delete()
            return False
        message = EmailMultiAlternatives(
            email.subject,
            email.body_text,
            to=[email.to],
            headers={"Message-ID": outbox_message_id(email)},
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            error = exc
        email.attempts += 1
        if error is None:
            email.sent_at = timezone.now()
            email.last_error = ""
        else:
            email.last_error = f"{type(error).__name__}: {error}"[:500]
        saved = ["attempts", "sent_at", "last_error"]
        if words_written_now:
            saved += ["subject", "body_text", "body_html", "renderer", "render_key"]
        email.save(update_fields=saved)
    if error is not None:
        raise EmailNotSent(str(error)) from error
    return True


def outbox_resend_unsent(
    *, older_than: timedelta = timedelta(minutes=2), max_attempts: int = 50
) -> int:
    """Send what an outage left behind. Returns how many were sent now."""
    cutoff = timezone.now() - older_than
    pending = OutboxEmail.objects.filter(
        sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=max_attempts
    ).values_list("pk", flat=True)
    sent = 0
    for email_id in list(pending[:500]):
        try:
            sent += outbox_email_send(email_id=email_id)
        except EmailNotSent:
            logger.warning("Email %s still not sent", email_id)
    return sent


def outbox_emails_forget(
    *, about_objects: Iterable[models.Model], mentioning: Iterable[str] = ()
) -> int:
    """Delete the emails about these objects, or whose words contain one of `mentioning`.

    For an erasure, sent or not: a sent email's copy here is only the delivery
    record (what happened stays on the record's own history), and an unsent one
    would now tell someone about a person whose details are gone. `mentioning`
    catches emails about several records at once (a link worker's daily digest
    lists cases by reference and name). Returns how many were deleted.
    """
    wanted = Q(about__in=[about(obj) for obj in about_objects])
    for words in mentioning:
        if words:
            # Only emails about no one record (an email about another record is about it).
            wanted |= Q(about="") & (
                Q(subject__contains=words)
                | Q(body_text__contains=words)
                | Q(body_html__contains=words)
            )
    deleted, _by_model = OutboxEmail.objects.filter(wanted).delete()
    return deleted
