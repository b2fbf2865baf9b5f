from django.contrib import admin

from accounts.admin import AuditedReadsAdmin
from core.admin import ReadOnlyAdmin

from .models import PersonCorrection


@admin.register(PersonCorrection)
class PersonCorrectionAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Read-only: corrections are made on the correction page, through person_correct."""

    list_display = ["created_at", "person", "actor"]
    list_select_related = ["person", "actor"]
    audit_person_uuids = ["person__uuid"]
