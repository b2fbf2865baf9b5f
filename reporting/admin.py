from django.contrib import admin

from accounts.admin import AuditedReadsAdmin
from core.admin import ReadOnlyAdmin

from .models import KeptReferralFacts, MonthlyReportSent, RollupRun


@admin.register(RollupRun)
class RollupRunAdmin(admin.ModelAdmin):
    """Runs are started from the dashboard or by schedule; here they are only looked at."""

    list_display = ["created_at", "kind", "state", "progress", "referrals", "finished_at"]
    list_filter = ["kind", "state"]
    readonly_fields = [
        "uuid", "kind", "state", "progress", "requested_by", "since", "created_at",
        "started_at", "heartbeat_at", "finished_at", "referrals", "error",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Monthly report ------------------------------------------------------------


@admin.register(MonthlyReportSent)
class MonthlyReportSentAdmin(admin.ModelAdmin):
    """Which manager was sent which month's report: written by the monthly job only."""

    list_display = ["user", "month", "created_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "month", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Kept facts ----------------------------------------------------------------


@admin.register(KeptReferralFacts)
class KeptReferralFactsAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """What erased people's referrals count as: kept by the erasure, never edited by hand."""

    list_display = ["referral", "age_band", "deprivation", "kept_at"]
    list_select_related = ["referral"]
    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]
