"""Writes for accounts: the audit trail and API clients."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiClient, ApiScope, AuditEvent

TOKEN_START = "spk"


def _client_ip(request):
    if request is None:
        return None
    # Behind the proxy (gunicorn behind nginx/a load balancer), REMOTE_ADDR is the
    # proxy; the first X-Forwarded-For entry is the client it was set for.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    request=None,
    detail: str = "",
    api_client: ApiClient | None = None,
) -> AuditEvent:
    """Append one row to the audit trail (who, what, which record, when, from where).

    `api_client` names the partner system when the API did it (then `actor` is None).
    """
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        api_client=api_client,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(getattr(obj, "uuid", None) or getattr(obj, "pk", "")) if obj else "",
        detail=detail[:500],
        ip_address=_client_ip(request),
    )


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: there is nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str | None:
    """The public part of a token (`spk_<prefix>_<secret>`), or None when it is not that shape."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_START or not parts[1] or not parts[2]:
        return None
    return parts[1]


def api_client_create(
    *, name: str, organisation, scopes, rate_limit: int = 60, actor=None
) -> tuple[ApiClient, str]:
    """Issue credentials to a partner system. Returns (client, token); the token is never stored.

    Raises django.core.exceptions.ValidationError naming `scopes` or `name`
    when they are unusable.
    """
    scopes = list(dict.fromkeys(scopes))
    unknown = [scope for scope in scopes if scope not in ApiScope.values]
    errors = {}
    if unknown:
        errors["scopes"] = [
            _("Unknown scope: %(scopes)s. Known scopes: %(known)s.")
            % {"scopes": ", ".join(unknown), "known": ", ".join(ApiScope.values)}
        ]
    elif not scopes:
        errors["scopes"] = [_("Choose at least one scope.")]
    if not (name or "").strip():
        errors["name"] = [_("Give the client a name.")]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_START}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=name.strip(),
            organisation=organisation,
            token_prefix=prefix,
            token_hash=token_hash(token),
            scopes=[scope for scope in ApiScope.values if scope in scopes],
            rate_limit=rate_limit,
        )
        audit_record(
            actor=actor, action=AuditEvent.Action.CREATE, obj=client, detail="API client issued"
        )
    return client, token


def api_client_revoke(*, client: ApiClient, actor=None) -> ApiClient:
    """Turn a client's token off for good; its history stays. Revoking twice changes nothing."""
    with transaction.atomic():
        revoked = ApiClient.objects.filter(pk=client.pk, is_active=True).update(
            is_active=False, revoked_at=timezone.now()
        )
        if revoked:
            audit_record(
                actor=actor,
                action=AuditEvent.Action.CHANGE,
                obj=client,
                detail="API client revoked",
            )
    client.refresh_from_db()
    return client


def api_client_touch(*, client: ApiClient, now=None) -> None:
    """Record that the client was used, at most once a minute (not a write per request)."""
    now = now or timezone.now()
    if client.last_used_at and now - client.last_used_at < timedelta(minutes=1):
        return
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now
