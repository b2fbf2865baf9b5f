"""Writes for accounts: the audit trail."""

from django.db import models

from .models import AuditEvent


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
) -> AuditEvent:
    """Append one row to the audit trail (who, what, which record, when, from where)."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(getattr(obj, "uuid", None) or getattr(obj, "pk", "")) if obj else "",
        detail=detail[:500],
        ip_address=_client_ip(request),
    )
