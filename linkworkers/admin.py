from django.contrib import admin

from .models import (
    Answer,
    ClosureSummary,
    Connection,
    Contact,
    DigestSent,
    Goal,
    Instrument,
    Item,
    LinkWorker,
    OutcomeMeasure,
    OutcomeReviewNotice,
    PeerNavigatorAssignment,
    UnmetNeed,
    WhatMatters,
)


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


class ItemInline(admin.StackedInline):
    model = Item
    extra = 0
    fields = [
        ("order", "label", "label_cy"),
        "text",
        "text_cy",
        ("min_value", "max_value", "reverse_scored", "higher_is_better"),
        "answer_labels",
    ]


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    """Instruments are data: a scheme adds one here, items inline, without a release."""

    list_display = ["name", "code", "scoring", "scheme", "active"]
    list_filter = ["active", "scoring"]
    list_select_related = ["scheme"]
    search_fields = ["name", "name_cy", "code"]
    autocomplete_fields = ["scheme"]
    inlines = [ItemInline]


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["item", "value"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutcomeMeasure)
class OutcomeMeasureAdmin(admin.ModelAdmin):
    """Read only: measures are recorded on the case page, through outcome_record."""

    list_display = ["referral", "instrument", "timepoint", "answered_on", "raw_score",
                    "converted_score", "recorded_by"]  # fmt: skip
    list_filter = ["instrument", "timepoint"]
    list_select_related = ["referral", "instrument", "recorded_by"]
    search_fields = ["referral__reference"]
    date_hierarchy = "answered_on"
    inlines = [AnswerInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdmin):
    list_display = ["referral", "service", "status", "proposed_at", "referred_at", "answered_at"]
    list_filter = ["status", "decline_reason"]
    list_select_related = ["referral", "service"]
    search_fields = ["referral__reference", "service__name"]


@admin.register(UnmetNeed)
class UnmetNeedAdmin(ReadOnlyAdmin):
    list_display = ["referral", "category", "recorded_by", "recorded_at"]
    list_select_related = ["referral", "category", "recorded_by"]
    search_fields = ["referral__reference"]


@admin.register(PeerNavigatorAssignment)
class PeerNavigatorAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["referral", "user", "added_by", "added_at", "active"]
    list_filter = ["active"]
    list_select_related = ["referral", "user", "added_by"]
    search_fields = ["referral__reference", "user__username"]


@admin.register(DigestSent)
class DigestSentAdmin(ReadOnlyAdmin):
    list_display = ["user", "sent_on"]
    list_select_related = ["user"]


@admin.register(OutcomeReviewNotice)
class OutcomeReviewNoticeAdmin(ReadOnlyAdmin):
    list_display = ["baseline", "due_on", "notified_at"]
    list_select_related = ["baseline__referral", "baseline__instrument"]


# SupervisionNote is deliberately not in the admin: only the link worker and
# their manager may read supervision notes (DESIGN.md, SupervisionNote).
