import re
import uuid

from django.contrib import admin
from django.db.models import Q

from accounts.admin import AuditedReadsAdmin
from core import admin as core_admin
from core.admin import ReadOnlyAdmin
from core.models import OutboxEmail

from .models import (
    ApiIdempotencyKey,
    Notification,
    Person,
    PossibleDuplicate,
    Referral,
    ReferralEvent,
)

# Every page of these admins that shows a person writes one audit row naming them
# (accounts.admin.AuditedReadsAdmin); each says where its rows' people are.


@admin.register(Person)
class PersonAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Read-only: people are recorded through the referral services."""

    audit_person_uuids = ["uuid"]

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
class ReferralAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Read-only: every change goes through the lifecycle services, never the admin."""

    audit_person_uuids = ["person__uuid"]
    audit_references = ["reference"]

    list_display = ["reference", "person", "status", "source_kind", "scheme", "received_at"]
    list_filter = ["status", "source_kind", "urgency", "scheme"]
    search_fields = ["reference", "person__family_name"]
    list_select_related = ["person", "scheme"]
    inlines = [ReferralEventInline]


@admin.register(Notification)
class NotificationAdmin(AuditedReadsAdmin):
    """A notification's message names the person its referral is about."""

    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["recipient", "message", "created_at", "read_at"]
    list_select_related = ["recipient"]
    readonly_fields = ["uuid", "recipient", "referral", "message", "created_at", "read_at"]


@admin.register(ApiIdempotencyKey)
class ApiIdempotencyKeyAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Kept so a partner's retry returns the same referral; read-only here."""

    audit_person_uuids = ["referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["api_client", "key", "referral", "created_at"]
    list_select_related = ["api_client", "referral"]
    search_fields = ["key", "referral__reference"]


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Read-only: the scheme's coordinators decide on the possible duplicates page."""

    audit_person_uuids = ["person__uuid", "existing__uuid", "referral__person__uuid"]
    audit_references = ["referral__reference"]

    list_display = ["referral", "scheme", "reason", "state", "created_at", "decided_at"]
    list_filter = ["state", "reason", "scheme"]
    list_select_related = ["referral", "scheme"]


# Emails about referrals name people: the referrer's feedback and notices, the person's own
# social prescription, a link worker's digest of overdue cases. core registers the outbox
# knowing no referral; here it is registered again, audited like the other rows of people.
REFERENCE_IN_TEXT = re.compile(r"\bSP-[A-Z0-9]{6,}\b")
ABOUT_REFERRAL = f"{Referral._meta.label_lower}:"


admin.site.unregister(OutboxEmail)


@admin.register(OutboxEmail)
class OutboxEmailAdmin(AuditedReadsAdmin, core_admin.OutboxEmailAdmin):
    def people_and_records(self, objs):
        """The referrals each email is about, or names by reference: one query for all."""
        about = {
            _uuid_or_none(email.about.removeprefix(ABOUT_REFERRAL))
            for email in objs
            if email.about.startswith(ABOUT_REFERRAL)
        } - {None}
        named = {
            found
            for email in objs
            for text in (email.subject, email.body_text)
            for found in REFERENCE_IN_TEXT.findall(text)
        }
        if not (about or named):
            return [], []
        rows = list(
            Referral.objects.filter(Q(uuid__in=about) | Q(reference__in=named)).values_list(
                "person__uuid", "reference"
            )
        )
        people = list(dict.fromkeys(person for person, _reference in rows))
        return people, list(dict.fromkeys(reference for _person, reference in rows))


def _uuid_or_none(text):
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
