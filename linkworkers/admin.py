from django.contrib import admin

from .models import ClosureSummary, Contact, Goal, LinkWorker, WhatMatters


@admin.register(LinkWorker)
class LinkWorkerAdmin(admin.ModelAdmin):
    list_display = ["user", "scheme", "capacity", "active"]
    list_filter = ["active", "scheme"]
    list_select_related = ["user", "scheme"]
    autocomplete_fields = ["user", "scheme", "areas"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Casework is written through linkworkers.services only, never the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["referral", "happened_at", "mode", "outcome", "minutes", "recorded_by"]
    list_filter = ["mode", "outcome"]
    list_select_related = ["referral", "recorded_by"]
    search_fields = ["referral__reference"]


@admin.register(WhatMatters)
class WhatMattersAdmin(ReadOnlyAdmin):
    list_display = ["referral", "version", "updated_by", "updated_at"]
    list_select_related = ["referral", "updated_by"]
    search_fields = ["referral__reference"]


@admin.register(Goal)
class GoalAdmin(ReadOnlyAdmin):
    list_display = ["description", "referral", "status", "target_date"]
    list_filter = ["status"]
    list_select_related = ["referral"]
    search_fields = ["referral__reference", "description"]


@admin.register(ClosureSummary)
class ClosureSummaryAdmin(ReadOnlyAdmin):
    list_display = ["referral", "reason", "written_by", "created_at"]
    list_filter = ["reason"]
    list_select_related = ["referral", "written_by"]
    search_fields = ["referral__reference"]
