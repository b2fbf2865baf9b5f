from django.contrib import admin
from django.http import HttpRequest

from .models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    """Read-only: emails are written by the services and sent by the outbox tasks."""

    list_display = ["to", "subject", "about", "created_at", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    search_fields = ["to", "about"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
