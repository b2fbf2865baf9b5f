"""Webhooks: partner systems told of changes, per the Standard Webhooks specification.

The use case that makes a change calls `webhook_messages_queue` inside its
own transaction: one `WebhookMessage` row per subscribed endpoint, the outbox,
so a message exists exactly when the change does. After commit the
`accounts.deliver_webhook` task delivers it; the `accounts.deliver_due_webhooks`
beat job sends what an enqueue failure left, the retries that fell due, and
whatever a worker that died mid-delivery was holding.

Each delivery is claimed (`pending` -> `sending`, with a lease) under a
skip-locked row lock, so two workers never send the same message at once, and
a message is sent only when every earlier one about the same referral is
delivered or given up (ordering per referral). A worker that dies after the
receiver took a message but before recording it leaves the claim; the sweep
sends it again after the lease, with the same `webhook-id`, which receivers
use to drop what they already have (the specification's idempotency rule).

Failures are retried with exponential backoff for at least
`WEBHOOK_RETRY_HOURS` (24); then the message is given up, the endpoint is
disabled and the client's contact told by email (core outbox). Tasks are
queued by name (core.queue), so this module never imports accounts.tasks.
"""

import base64
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from core.outbox import outbox_email_queue
from core.queue import eager, enqueue

from .models import (
    ApiClient,
    AuditEvent,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookMessage,
)
from .services import audit_record

logger = logging.getLogger(__name__)

DELIVER_TASK = "accounts.deliver_webhook"
SWEEP_TASK = "accounts.deliver_due_webhooks"
SECRET_PREFIX = "whsec_"
USER_AGENT = "social-prescribing-webhooks/1"
UNDELIVERED = (WebhookMessage.State.PENDING, WebhookMessage.State.SENDING)


# --- Endpoints -----------------------------------------------------------------------------------


def webhook_secret_new() -> str:
    """A signing secret as Standard Webhooks writes them: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _address_refusal(host: str) -> str | None:
    """Why a host may not be called (SSRF), or None. Every address it resolves to must be public."""
    if getattr(settings, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False):
        return None
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError, ValueError):
        return _("The address's host name cannot be found.")
    for raw in found:
        address = ipaddress.ip_address(str(raw).split("%")[0])
        mapped = getattr(address, "ipv4_mapped", None)
        if not address.is_global or (mapped is not None and not mapped.is_global):
            return _(
                "The address points to a private, local or reserved network, which is refused."
            )
    return None


def webhook_url_check(url: str) -> str:
    """The endpoint address, trimmed, or ValidationError naming `url`.

    HTTPS only where WEBHOOK_REQUIRE_HTTPS (on unless DEBUG); no user name or
    password in it; and, unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES, a host that
    resolves only to public addresses, so the app cannot be made to call its own
    network (server-side request forgery). Checked again before each delivery.
    """
    url = (url or "").strip()
    schemes = ["https"] if settings.WEBHOOK_REQUIRE_HTTPS else ["https", "http"]
    if not url or len(url) > 500:
        raise ValidationError({"url": [_("Enter the endpoint's address, up to 500 characters.")]})
    try:
        URLValidator(schemes=schemes)(url)
    except ValidationError:
        message = (
            _("Enter an https:// address.")
            if settings.WEBHOOK_REQUIRE_HTTPS
            else _("Enter an http:// or https:// address.")
        )
        raise ValidationError({"url": [message]}) from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError({"url": [_("Leave the user name and password out of the address.")]})
    refusal = _address_refusal(parts.hostname or "")
    if refusal:
        raise ValidationError({"url": [refusal]})
    return url


def webhook_events_check(events: Iterable[str] | None) -> list[str]:
    """The chosen events in their canonical order; none chosen means all of them."""
    chosen = [str(event).strip() for event in (events or []) if str(event).strip()]
    unknown = [event for event in chosen if event not in WebhookEvent.values]
    if unknown:
        raise ValidationError(
            {"events": [_("Unknown event: %(events)s.") % {"events": ", ".join(unknown)}]}
        )
    return [event for event in WebhookEvent.values if not chosen or event in chosen]


def webhook_endpoint_add(
    *, client: ApiClient, url: str, events: Iterable[str] | None = None, actor=None, request=None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for a client. Returns (endpoint, secret); show the secret once."""
    url = webhook_url_check(url)
    chosen = webhook_events_check(events)
    secret = webhook_secret_new()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            client=client, url=url, events=chosen, secret=secret, created_at=timezone.now()
        )
        audit_record(
            actor=actor, action=AuditEvent.Action.CREATE, obj=client, request=request,
            detail=f"webhook endpoint added: {url} ({', '.join(chosen)})"[:500],
        )  # fmt: skip
    return endpoint, secret


def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, events: Iterable[str] | None, actor=None, request=None
) -> WebhookEndpoint:
    """Change an endpoint's address or events; audited field by field like a client's edit."""
    wanted = {"url": webhook_url_check(url), "events": webhook_events_check(events)}
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        changed = [field for field, value in wanted.items() if getattr(locked, field) != value]
        if not changed:
            return locked
        before = {field: str(getattr(locked, field)) for field in changed}
        for field in changed:
            setattr(locked, field, wanted[field])
        locked.save(update_fields=changed)
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=locked.client, request=request,
            detail=("webhook endpoint changed: " + "; ".join(
                f"{field} {before[field]} -> {getattr(locked, field)}" for field in changed
            ))[:500],
        )  # fmt: skip
    return locked


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, actor=None, request=None) -> bool:
    """Turn a disabled endpoint back on; the messages it gave up are sent again, in order."""
    now = timezone.now()
    with transaction.atomic():
        enabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=False).update(
            is_active=True, disabled_at=None, disabled_reason=""
        )
        if not enabled:
            return False
        WebhookMessage.objects.filter(endpoint=endpoint, state=WebhookMessage.State.FAILED).update(
            state=WebhookMessage.State.PENDING, next_attempt_at=now, first_failed_at=None
        )
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=endpoint.client, request=request,
            detail=f"webhook endpoint enabled: {endpoint.url}"[:500],
        )  # fmt: skip
        transaction.on_commit(partial(_enqueue_heads, endpoint_id=endpoint.pk))
    return True


def webhook_endpoint_disable(
    *, endpoint: WebhookEndpoint, reason: str, actor=None, request=None, now: datetime | None = None
) -> bool:
    """Stop sending to an endpoint; its messages wait. With no actor (persistent failure),
    the client's contact is told by email. Returns False when it was already disabled."""
    now = now or timezone.now()
    with transaction.atomic():
        disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason[:300]
        )
        if not disabled:
            return False
        client = endpoint.client
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=client, request=request,
            detail=f"webhook endpoint disabled: {endpoint.url}: {reason}"[:500],
        )  # fmt: skip
        if actor is None and client.contact_email:
            with translation.override(settings.LANGUAGE_CODE):
                outbox_email_queue(
                    about_object=endpoint,
                    to=client.contact_email,
                    template="accounts/email/webhook_disabled",
                    context={"client": client, "endpoint": endpoint, "reason": reason},
                    now=now,
                )
    return True


# --- Messages ------------------------------------------------------------------------------------


def webhook_messages_queue(
    *,
    organisation_id: int,
    event_type: str,
    ordering_key: str,
    data: dict[str, Any],
    occurred_at: datetime,
) -> list[WebhookMessage]:
    """Write one message per active endpoint of the organisation's active clients that chose
    this event; each is delivered after commit. Call inside the change's transaction."""
    # An organisation has a handful of endpoints: chosen events are read here, which works
    # alike on SQLite (no JSON containment there).
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            client__organisation_id=organisation_id, client__is_active=True, is_active=True
        ).order_by("pk")
        if event_type in endpoint.events
    ]
    messages = []
    for endpoint in endpoints:
        msg_id = f"msg_{secrets.token_hex(16)}"
        body = json.dumps(
            {"type": event_type, "timestamp": occurred_at.isoformat(), "data": data},
            separators=(",", ":"),
            ensure_ascii=False,
            default=str,
        )
        messages.append(
            WebhookMessage(
                msg_id=msg_id,
                endpoint=endpoint,
                event_type=event_type,
                ordering_key=ordering_key,
                body=body,
                created_at=occurred_at,
                next_attempt_at=occurred_at,
            )  # fmt: skip
        )
    created = WebhookMessage.objects.bulk_create(messages)
    for message in created:
        transaction.on_commit(partial(_enqueue, message.pk))
    return created


def _enqueue(message_id: int) -> bool:
    """Queue a delivery; False when the broker refused (the sweep sends it later)."""
    try:
        enqueue(DELIVER_TASK, message_id)
    except Exception:
        # Broker down (or, eagerly, anything in the delivery): the sweep sends it later.
        logger.warning("Webhook %s not queued now; left for the sweep", message_id, exc_info=True)
        return False
    return True


def _earlier_undelivered():
    return WebhookMessage.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        ordering_key=OuterRef("ordering_key"),
        id__lt=OuterRef("id"),
        state__in=UNDELIVERED,
    )


def _claim(message_id: int, now: datetime) -> WebhookMessage | None:
    """Take a message for delivery: pending, due, its endpoint on, nothing earlier waiting."""
    lease = timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        message = (
            WebhookMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(
                pk=message_id,
                state=WebhookMessage.State.PENDING,
                next_attempt_at__lte=now,
                endpoint__is_active=True,
                endpoint__client__is_active=True,
            )
            .exclude(Exists(_earlier_undelivered()))
            .first()
        )
        if message is None:
            return None
        message.state = WebhookMessage.State.SENDING
        message.claimed_until = now + lease
        message.attempts += 1
        message.save(update_fields=["state", "claimed_until", "attempts"])
    return message


def webhook_headers(*, message: WebhookMessage, secret: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: id, timestamp (seconds) and the v1 HMAC-SHA256 signature."""
    signature = Webhook(secret).sign(msg_id=message.msg_id, timestamp=at, data=message.body)
    return {
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _post(message: WebhookMessage, now: datetime) -> tuple[int | None, str, int]:
    """Send once. Returns (HTTP status or None, error, milliseconds); never raises."""
    endpoint = message.endpoint
    refusal = _address_refusal(urlsplit(endpoint.url).hostname or "")
    if refusal:
        return None, f"refused: {refusal}", 0
    started = time.monotonic()
    session = requests.Session()
    # No proxy from the environment (it would go round the address check), no redirects.
    session.trust_env = False
    try:
        response = session.post(
            endpoint.url,
            data=message.body.encode(),
            headers=webhook_headers(message=message, secret=endpoint.secret, at=now),
            timeout=(settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        )
        response.close()
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500], _ms(started)
    finally:
        session.close()
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return response.status_code, error, _ms(started)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def webhook_backoff(failures: int) -> timedelta:
    """The wait after the n-th failure in a row: 1, 2, 4 ... minutes, at most 6 hours, +-10%."""
    base = settings.WEBHOOK_BACKOFF_SECONDS * 2 ** min(max(failures - 1, 0), 20)
    seconds = min(base, settings.WEBHOOK_BACKOFF_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def _record(
    message: WebhookMessage, now: datetime, status_code: int | None, error: str, ms: int
) -> bool:
    """Write the attempt and the message's next state. Returns True when delivered now."""
    with transaction.atomic():
        locked = (
            WebhookMessage.objects.select_for_update()
            .select_related("endpoint__client")
            .get(pk=message.pk)
        )
        WebhookAttempt.objects.create(
            message=locked, at=now, status_code=status_code, error=error, milliseconds=ms
        )
        if locked.state != WebhookMessage.State.SENDING or locked.attempts != message.attempts:
            # Our lease ran out and the sweep gave the message to another attempt: leave it be.
            return False
        locked.claimed_until = None
        if not error:
            locked.state = WebhookMessage.State.DELIVERED
            locked.delivered_at = timezone.now()
            locked.last_error = ""
            locked.first_failed_at = None
        else:
            locked.last_error = error[:500]
            locked.first_failed_at = locked.first_failed_at or now
            failing_for = now - locked.first_failed_at
            if status_code == 410:
                # Gone: the receiver says the endpoint no longer exists (Standard Webhooks).
                locked.state = WebhookMessage.State.FAILED
                webhook_endpoint_disable(
                    endpoint=locked.endpoint, now=now, reason="the endpoint answered 410 Gone"
                )
            elif failing_for >= timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
                locked.state = WebhookMessage.State.FAILED
                webhook_endpoint_disable(
                    endpoint=locked.endpoint,
                    now=now,
                    reason=f"deliveries failed for {failing_for.total_seconds() / 3600:.0f} hours; "
                    f"last error: {error}"[:300],
                )
            else:
                locked.state = WebhookMessage.State.PENDING
                failures = WebhookAttempt.objects.filter(
                    message=locked, at__gte=locked.first_failed_at
                ).count()
                locked.next_attempt_at = now + webhook_backoff(failures)
        locked.save()
        if locked.state == WebhookMessage.State.DELIVERED:
            transaction.on_commit(partial(_enqueue_next, locked.pk))
    return not error


def webhook_deliver(*, message_id: int, now: datetime | None = None) -> bool:
    """Deliver one message if it is due and its turn. Safe to run twice, or in two workers.

    Returns True when this call delivered it.
    """
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return False
    status_code, error, ms = _post(message, now)
    return _record(message, now, status_code, error, ms)


def _enqueue_next(message_id: int) -> None:
    """After a delivery, the next message about the same referral goes at once."""
    delivered = WebhookMessage.objects.filter(pk=message_id).first()
    if delivered is None:
        return
    following = (
        WebhookMessage.objects.filter(
            endpoint_id=delivered.endpoint_id,
            ordering_key=delivered.ordering_key,
            id__gt=delivered.id,
            state=WebhookMessage.State.PENDING,
        )
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        _enqueue(following)


def _due_heads(now: datetime, endpoint_id: int | None = None):
    due = WebhookMessage.objects.filter(
        state=WebhookMessage.State.PENDING,
        next_attempt_at__lte=now,
        endpoint__is_active=True,
        endpoint__client__is_active=True,
    ).exclude(Exists(_earlier_undelivered()))
    if endpoint_id is not None:
        due = due.filter(endpoint_id=endpoint_id)
    return due.order_by("id").values_list("pk", flat=True)


def _enqueue_heads(*, endpoint_id: int) -> None:
    for message_id in list(_due_heads(timezone.now(), endpoint_id)[:500]):
        _enqueue(message_id)


def webhooks_deliver_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """The beat sweep: free the claims of workers that died, then queue what is due.

    Returns how many messages it queued.
    """
    now = now or timezone.now()
    # A claim whose lease ran out: its worker died (or hung past every timeout). Sent again
    # with the same webhook-id, so a receiver that got it the first time can drop it.
    WebhookMessage.objects.filter(state=WebhookMessage.State.SENDING, claimed_until__lt=now).update(
        state=WebhookMessage.State.PENDING,
        claimed_until=None,
        next_attempt_at=now,
        last_error="the worker stopped during the delivery",
    )
    queued = 0
    for message_id in list(_due_heads(now)[:limit]):
        if _enqueue(message_id):
            queued += 1
        elif not eager():
            # The broker is down: the rest wait for the next sweep rather than each paying
            # the broker's time-out in turn.
            break
    return queued


def webhook_message_replay(*, message: WebhookMessage, actor=None, request=None) -> bool:
    """Send a message again (same webhook-id), from the admin's delivery log; audited.

    It goes in its place among the referral's messages: any later one not yet
    delivered waits for it. A message being sent now is left alone.
    """
    now = timezone.now()
    with transaction.atomic():
        replayed = (
            WebhookMessage.objects.filter(pk=message.pk)
            .exclude(state=WebhookMessage.State.SENDING)
            .update(
                state=WebhookMessage.State.PENDING,
                next_attempt_at=now,
                first_failed_at=None,
                claimed_until=None,
            )
        )
        if not replayed:
            return False
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=message.endpoint.client,
            request=request, detail=f"webhook replayed: {message.msg_id} {message.event_type}",
        )  # fmt: skip
        transaction.on_commit(partial(_enqueue, message.pk))
    return True
