from django.contrib import admin
from django.http import HttpRequest

from .models import Heartbeat, OutboxEmail


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    """Readable in the admin, never added, changed or deleted there.

    For rows only a service may write (the one door per use case), and for
    records that must stay (people, referrals, their timeline, the audit trail).
    """

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """Read-only: emails are written by the services and sent by the outbox tasks."""

    list_display = ["to", "subject", "about", "created_at", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    search_fields = ["to", "about"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    """When each Celery worker and beat was last alive, as /healthz reads it (core/heartbeat.py)."""

    list_display = ["name", "seen_at"]
    readonly_fields = ["name", "seen_at"]
