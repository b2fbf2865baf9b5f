from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import (
    ApiIdempotencyKey,
    Notification,
    Person,
    PossibleDuplicate,
    Referral,
    ReferralEvent,
)


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    """Read-only: people are recorded through the referral services."""

    list_display = ["family_name", "given_name", "date_of_birth", "postcode"]
    search_fields = ["family_name", "given_name", "nhs_number", "postcode"]

    def get_queryset(self, request):
        # A merged record is the same person as the one it was merged into: it
        # is not listed or found as someone else (the coordinator's
        # possible-duplicates page still shows it, to undo the merge).
        return super().get_queryset(request).active()


class ReferralEventInline(admin.TabularInline):
    model = ReferralEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "kind", "from_status", "to_status", "actor", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    """Read-only: every change goes through the lifecycle services, never the admin."""

    list_display = ["reference", "person", "status", "source_kind", "scheme", "received_at"]
    list_filter = ["status", "source_kind", "urgency", "scheme"]
    search_fields = ["reference", "person__family_name"]
    list_select_related = ["person", "scheme"]
    inlines = [ReferralEventInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "message", "created_at", "read_at"]
    list_select_related = ["recipient"]
    readonly_fields = ["uuid", "recipient", "referral", "message", "created_at", "read_at"]


@admin.register(ApiIdempotencyKey)
class ApiIdempotencyKeyAdmin(ReadOnlyAdmin):
    """Kept so a partner's retry returns the same referral; read-only here."""

    list_display = ["api_client", "key", "referral", "created_at"]
    list_select_related = ["api_client", "referral"]
    search_fields = ["key", "referral__reference"]


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(ReadOnlyAdmin):
    """Read-only: the scheme's coordinators decide on the possible duplicates page."""

    list_display = ["referral", "scheme", "reason", "state", "created_at", "decided_at"]
    list_filter = ["state", "reason", "scheme"]
    list_select_related = ["referral", "scheme"]
