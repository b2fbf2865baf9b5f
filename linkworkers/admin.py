from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from accounts.admin import AuditedReadsAdmin
from core.admin import ReadOnlyAdmin

from .models import (
    Answer,
    ClosureSummary,
    Connection,
    Contact,
    DiaryFeedToken,
    DigestSent,
    Goal,
    Instrument,
    Item,
    LinkWorker,
    OutcomeMeasure,
    OutcomeReviewNotice,
    PeerNavigatorAssignment,
    PersonMessage,
    UnmetNeed,
    WhatMatters,
)
from .services import instrument_define
from .services.outcomes import instrument_definition_errors

# What `instrument_define` takes, as the admin's forms name it.
INSTRUMENT_FIELDS = [
    "code", "name", "name_cy", "description", "description_cy", "licence", "scoring",
    "higher_is_better", "conversion_table", "scheme", "active",
]  # fmt: skip
ITEM_FIELDS = [
    "label", "label_cy", "text", "text_cy", "min_value", "max_value", "reverse_scored",
    "higher_is_better", "answer_labels",
]  # fmt: skip


@admin.register(LinkWorker)
class LinkWorkerAdmin(admin.ModelAdmin):
    list_display = ["user", "scheme", "capacity", "active"]
    list_filter = ["active", "scheme"]
    list_select_related = ["user", "scheme"]
    autocomplete_fields = ["user", "scheme", "areas"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


@admin.register(Contact)
class ContactAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["referral", "happened_at", "mode", "outcome", "minutes", "recorded_by"]
    list_filter = ["mode", "outcome"]
    list_select_related = ["referral", "recorded_by"]
    search_fields = ["referral__reference"]


@admin.register(PersonMessage)
class PersonMessageAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Texts and emails through GOV.UK Notify and their delivery status (no address, no words)."""

    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["referral", "kind", "channel", "language", "state", "notify_status",
                    "created_at", "sent_at"]  # fmt: skip
    list_filter = ["state", "kind", "channel"]
    list_select_related = ["referral"]
    search_fields = ["referral__reference", "notify_id"]


@admin.register(WhatMatters)
class WhatMattersAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["referral", "version", "updated_by", "updated_at"]
    list_select_related = ["referral", "updated_by"]
    search_fields = ["referral__reference"]


@admin.register(Goal)
class GoalAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["description", "referral", "status", "target_date"]
    list_filter = ["status"]
    list_select_related = ["referral"]
    search_fields = ["referral__reference", "description"]


@admin.register(ClosureSummary)
class ClosureSummaryAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["referral", "reason", "written_by", "created_at"]
    list_filter = ["reason"]
    list_select_related = ["referral", "written_by"]
    search_fields = ["referral__reference"]


class ItemFormSet(BaseInlineFormSet):
    """The items are checked as a whole by the same rules as `instrument_define`."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        instrument = self.instance
        errors = instrument_definition_errors(
            code=instrument.code,
            scheme=instrument.scheme,
            scoring=instrument.scoring,
            conversion_table=instrument.conversion_table,
            items=[Item(order=n, **fields) for n, fields in enumerate(_item_rows(self), 1)],
        )
        if errors:
            raise forms.ValidationError(sum(errors.values(), []))


def _item_rows(formset) -> list[dict]:
    """The items a valid formset keeps, in their order, as `instrument_define` takes them."""
    rows = [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]
    return [
        {name: row[name] for name in ITEM_FIELDS}
        for row in sorted(rows, key=lambda row: row["order"])
    ]


class ItemInline(admin.StackedInline):
    model = Item
    formset = ItemFormSet
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
    """Instruments are data: a scheme adds one here, items inline, without a release.

    Saved through `instrument_define`, the one door for defining an instrument,
    so the admin cannot store one the engine could not score.
    """

    list_display = ["name", "code", "scoring", "scheme", "active"]
    list_filter = ["active", "scoring"]
    list_select_related = ["scheme"]
    search_fields = ["name", "name_cy", "code"]
    autocomplete_fields = ["scheme"]
    inlines = [ItemInline]

    def construct_change_message(self, request, form, formsets, add=False):
        # The items were written by the service, not by the formsets the admin would list.
        return super().construct_change_message(request, form, [], add)

    def get_readonly_fields(self, request, obj=None):
        # The code names the instrument in `instrument_define`: a new code is a new instrument.
        return ["code"] if obj else []

    def save_model(self, request, obj, form, change):
        """Nothing yet: `save_related` writes the instrument and its items in one call."""

    def save_related(self, request, form, formsets, change):
        items = next(formset for formset in formsets if formset.model is Item)
        data = form.cleaned_data
        fields = {name: data[name] for name in INSTRUMENT_FIELDS if name in data}
        fields["code"] = form.instance.code
        instrument = instrument_define(items=_item_rows(items), **fields)
        # The admin's history entry and redirect name the instrument the service saved.
        form.instance.pk = instrument.pk


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["item", "value"]
    readonly_fields = ["item", "value"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutcomeMeasure)
class OutcomeMeasureAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Read only: measures are recorded on the case page, through outcome_record."""

    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["referral", "instrument", "timepoint", "answered_on", "raw_score",
                    "converted_score", "recorded_by"]  # fmt: skip
    list_filter = ["instrument", "timepoint"]
    list_select_related = ["referral", "instrument", "recorded_by"]
    search_fields = ["referral__reference"]
    date_hierarchy = "answered_on"
    inlines = [AnswerInline]


@admin.register(Connection)
class ConnectionAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["referral", "service", "status", "proposed_at", "referred_at", "answered_at"]
    list_filter = ["status", "decline_reason"]
    list_select_related = ["referral", "service"]
    search_fields = ["referral__reference", "service__name"]


@admin.register(UnmetNeed)
class UnmetNeedAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["referral", "category", "recorded_by", "recorded_at"]
    list_select_related = ["referral", "category", "recorded_by"]
    search_fields = ["referral__reference"]


@admin.register(PeerNavigatorAssignment)
class PeerNavigatorAssignmentAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["referral", "user", "added_by", "added_at", "active"]
    list_filter = ["active"]
    list_select_related = ["referral", "user", "added_by"]
    search_fields = ["referral__reference", "user__username"]


@admin.register(DigestSent)
class DigestSentAdmin(ReadOnlyAdmin):
    list_display = ["user", "sent_on"]
    list_select_related = ["user"]


@admin.register(OutcomeReviewNotice)
class OutcomeReviewNoticeAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    audit_person_uuids = ["baseline__referral__person__uuid"]
    audit_references = ["baseline__referral__reference"]

    list_display = ["baseline", "due_on", "notified_at"]
    list_select_related = ["baseline__referral", "baseline__instrument"]


@admin.register(DiaryFeedToken)
class DiaryFeedTokenAdmin(ReadOnlyAdmin):
    """Who has a diary feed address, and since when; the link worker makes and stops it."""

    list_display = ["user", "created_at"]
    fields = ["user", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]


# SupervisionNote is deliberately not in the admin: only the link worker and
# their manager may read supervision notes (DESIGN.md, SupervisionNote).
