import json
from collections import defaultdict
from collections.abc import Iterable, Sequence

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import router
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin import ReadOnlyAdmin

from . import webhooks
from .models import (
    ApiClient,
    ApiScope,
    Area,
    AuditEvent,
    AuditSubject,
    BankHoliday,
    Organisation,
    User,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookMessage,
)
from .services import (
    api_client_create,
    api_client_revoke,
    api_client_update,
    audit_view,
    signin_unlock,
    two_factor_reset,
)

# The audit of reads in the admin (DESIGN.md: every read of a person's record is audited).
# The admin is a way to read people's records like any page: each of its pages that shows
# people writes one audit row naming them, as the pages of the apps do.


def _context(response) -> dict:
    # A page about to be rendered (TemplateResponse) carries its context; a redirect does not.
    return getattr(response, "context_data", None) or {}


class AuditedDeletePageMixin:
    """A delete confirmation may list related rows that name people: it is audited too.

    Deleting a user, an organisation or an area lists what goes with it or keeps it
    (notifications, referrals...), unless the admin may not delete some of those, when
    it names their kinds alone. The people among the rows the page lists are named in
    one audit row, found through each related model's own admin (`AuditedReadsAdmin`);
    models whose admin is not one show no one.
    """

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        context = _context(response)
        if context.get("object") is not None:
            self._audit_delete_page(request, [context["object"]], context, obj=context["object"])
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = _context(response)
        if "deletable_objects" in context:  # the delete-selected action's confirmation
            self._audit_delete_page(request, list(context["queryset"]), context)
        return response

    def _audit_delete_page(self, request, objs, context, obj=None):
        people: list = []
        records: list[str] = []
        for model, rows in rows_listed_for_deletion(self.model, objs, context).items():
            model_admin = self.admin_site._registry.get(model)
            if isinstance(model_admin, AuditedReadsAdmin):
                found_people, found_records = model_admin.people_and_records(list(rows))
                people += found_people
                records += found_records
        audit_view(
            actor=request.user, what=f"admin {self.model._meta.label_lower} delete page",
            people=people, records=records, request=request, obj=obj,
        )  # fmt: skip


def rows_listed_for_deletion(model, objs, context) -> dict:
    """The rows a delete confirmation lists, by model: as Django's template chooses them."""
    listed: dict = defaultdict(set)
    listed[model].update(objs)  # named in the page's first sentence, whatever follows
    if context.get("perms_needed") or context.get("perms_lacking"):
        return listed  # the related rows by their kind alone
    collector = NestedObjects(using=router.db_for_write(model))
    collector.collect(objs)
    if context.get("protected"):
        rows = list(collector.protected)
    else:
        rows = [row for found in collector.model_objs.values() for row in found]
    for row in rows:
        listed[type(row)].add(row)
    return listed


class AuditedReadsAdmin(AuditedDeletePageMixin, admin.ModelAdmin):
    """An admin of rows that show people: every page of it that shows them is audited.

    Its list writes one row naming the people and references of the rows on the
    page (even none: that the list was read is worth knowing); the page of one row,
    its history and its delete confirmation write one row naming that row's people.
    Accounts knows no person or referral, so each admin says where its rows' people
    are, as paths: `audit_person_uuids = ["referral__person__uuid"]` and
    `audit_references = ["referral__reference"]`. One query whatever the number of
    rows; override `people_and_records` for rows that name people another way.
    """

    audit_person_uuids: Sequence[str] = ()
    audit_references: Sequence[str] = ()

    def people_and_records(self, objs: Sequence) -> tuple[list, list[str]]:
        """The people (uuids) and references (SP-...) that `objs` show."""
        paths = [*self.audit_person_uuids, *self.audit_references]
        if not objs or not paths:
            return [], []
        split = len(self.audit_person_uuids)
        people: dict = {}
        records: dict = {}
        rows = self.model._default_manager.filter(pk__in=[obj.pk for obj in objs])
        for row in rows.values_list(*paths):
            _gather(people, row[:split])
            _gather(records, row[split:])
        return list(people), [str(record) for record in records]

    def _audit_read(self, request, objs, *, page, obj=None):
        people, records = self.people_and_records(objs)
        audit_view(
            actor=request.user, what=f"admin {self.model._meta.label_lower} {page}",
            people=people, records=records, request=request, obj=obj,
        )  # fmt: skip

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = _context(response).get("cl")
        if changelist is not None:
            # Evaluated here, once: the page then shows these same rows from the cache.
            self._audit_read(request, list(changelist.result_list), page="list")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = _context(response).get("original")
        if shown is not None:
            self._audit_read(request, [shown], page="record", obj=shown)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        shown = _context(response).get("object")
        if shown is not None:
            self._audit_read(request, [shown], page="history", obj=shown)
        return response


def _gather(found: dict, values: Iterable) -> None:
    """Add each value (or each item of a list value, such as an event's records), once."""
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if item not in (None, ""):
                found[item] = None


@admin.register(Area)
class AreaAdmin(AuditedDeletePageMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "name_cy", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(BankHoliday)
class BankHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "name_cy"]
    date_hierarchy = "date"
    search_fields = ["name", "name_cy"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedDeletePageMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "ods_code", "area"]
    list_filter = ["kind"]
    search_fields = ["name", "name_cy", "ods_code"]
    list_select_related = ["area"]
    autocomplete_fields = ["area"]


@admin.register(User)
class UserAdmin(AuditedDeletePageMixin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "organisation", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Role and organisation"), {"fields": ("role", "organisation", "preferred_language")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Role and organisation"), {"fields": ("role", "organisation", "preferred_language")}),
    )
    actions = ["unlock_sign_in", "reset_two_factor"]

    @admin.action(description=_("Unlock sign-in for the selected users"))
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            signin_unlock(actor=request.user, username=user.username, request=request)
        self.message_user(
            request,
            ngettext(
                "%(count)d user unlocked: they can sign in again.",
                "%(count)d users unlocked: they can sign in again.",
                len(queryset),
            )
            % {"count": len(queryset)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reset two-factor sign-in for the selected users"))
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            two_factor_reset(user=user, actor=request.user, request=request)
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in reset for %(count)d user: they set it up again at their "
                "next sign-in.",
                "Two-factor sign-in reset for %(count)d users: they set it up again at their "
                "next sign-in.",
                len(queryset),
            )
            % {"count": len(queryset)},
            messages.SUCCESS,
        )


# Second factors change only through the audited services (the reset action on users): the
# device admins django-otp registers would let a secret key be read or a device dropped unseen.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """Failed sign-ins (django-axes), read-only; unlocking goes through the audited service."""

    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Unlock the accounts and addresses of the selected attempts"))
    def unlock(self, request, queryset):
        removed = 0
        for attempt in queryset:
            if not (attempt.username or attempt.ip_address):
                continue
            removed += signin_unlock(
                actor=request.user,
                username=attempt.username or "",
                ip_address=attempt.ip_address or "",
                request=request,
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d failed attempt forgotten: those accounts and addresses can sign in.",
                "%(count)d failed attempts forgotten: those accounts and addresses can sign in.",
                removed,
            )
            % {"count": removed},
            messages.SUCCESS,
        )


class AuditSubjectInline(admin.TabularInline):
    """The people an audit event showed, read-only like the event itself."""

    model = AuditSubject
    fields = ["person_uuid"]
    readonly_fields = ["person_uuid"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """The audit trail is append-only: readable here, never editable.

    Reading it is audited too: an event names the people and referrals looked at.
    """

    inlines = [AuditSubjectInline]
    audit_person_uuids = ["subjects__person_uuid"]
    audit_references = ["records"]

    list_display = [
        "created_at", "actor", "api_client", "action", "object_type", "object_id", "ip_address",
    ]  # fmt: skip
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username", "api_client__name", "detail"]
    list_select_related = ["actor", "api_client"]
    date_hierarchy = "created_at"


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = ["name", "organisation", "scopes", "rate_limit", "contact_email"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Issue a token (shown once, after saving the add form) and revoke it; the hash never shows."""

    form = ApiClientForm
    list_display = [
        "name", "organisation", "token_prefix", "scopes", "rate_limit", "is_active", "last_used_at",
    ]  # fmt: skip
    list_filter = ["is_active"]
    search_fields = ["name", "token_prefix", "organisation__name", "organisation__ods_code"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["token_prefix", "is_active", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        fields = ["name", "organisation", "scopes", "rate_limit", "contact_email"]
        return fields + (self.readonly_fields if obj else [])

    def save_model(self, request, obj, form, change):
        if change:
            # Through the service: checked like a new client, and written to the audit trail.
            api_client_update(
                client=obj, actor=request.user, request=request,
                **{field: form.cleaned_data[field]
                   for field in ("name", "organisation", "scopes", "rate_limit", "contact_email")},
            )  # fmt: skip
            return
        client, token = api_client_create(
            name=form.cleaned_data["name"],
            organisation=form.cleaned_data["organisation"],
            scopes=form.cleaned_data["scopes"],
            rate_limit=form.cleaned_data["rate_limit"],
            contact_email=form.cleaned_data["contact_email"],
            actor=request.user,
        )
        # The admin goes on with `obj` (its change link, its log entry): make it the new row.
        obj.pk, obj.token_prefix, obj.created_at = client.pk, client.token_prefix, client.created_at
        obj._state.adding = False
        messages.warning(
            request,
            _(
                "The token for %(name)s is %(token)s. Copy it now and give it to the partner: "
                "it is not stored and will not be shown again."
            )
            % {"name": client.name, "token": token},
        )

    @admin.action(description=_("Revoke the selected API clients"))
    def revoke(self, request, queryset):
        revoked = 0
        for client in queryset.filter(is_active=True):
            api_client_revoke(client=client, actor=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d API client revoked: its token no longer works.",
                "%(count)d API clients revoked: their tokens no longer work.",
                revoked,
            )
            % {"count": revoked},
            messages.SUCCESS,
        )


# --- Webhooks (accounts/webhooks.py): endpoints through the services, the delivery log, replay ---


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None chosen sends every event."),
    )
    url = forms.CharField(label=_("Address"), max_length=500)

    class Meta:
        model = WebhookEndpoint
        fields = ["client", "url", "events"]

    def clean(self):
        cleaned = super().clean()
        # The service's checks (https, no private addresses, known events), as form errors.
        try:
            cleaned["url"] = webhooks.webhook_url_check(cleaned.get("url", ""))
            cleaned["events"] = webhooks.webhook_events_check(cleaned.get("events"))
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                for message in field_errors:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Add an endpoint (its secret shown once, after saving), change it, turn it off and on.

    Every change goes through accounts.webhooks and is audited like an API client's edit.
    """

    form = WebhookEndpointForm
    list_display = ["client", "url", "is_active", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "client__name", "client__token_prefix"]
    list_select_related = ["client"]
    autocomplete_fields = ["client"]
    readonly_fields = ["is_active", "disabled_at", "disabled_reason", "created_at"]
    actions = ["enable", "disable"]

    def has_delete_permission(self, request, obj=None):
        return False  # its delivery log stays; disable it instead

    def get_fields(self, request, obj=None):
        return ["client", "url", "events"] + (self.readonly_fields if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return ["client", *self.readonly_fields] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            webhooks.webhook_endpoint_update(
                endpoint=obj, url=form.cleaned_data["url"], events=form.cleaned_data["events"],
                actor=request.user, request=request,
            )  # fmt: skip
            return
        endpoint, secret = webhooks.webhook_endpoint_add(
            client=form.cleaned_data["client"], url=form.cleaned_data["url"],
            events=form.cleaned_data["events"], actor=request.user, request=request,
        )  # fmt: skip
        obj.pk, obj.created_at, obj.secret = endpoint.pk, endpoint.created_at, ""
        obj._state.adding = False
        messages.warning(
            request,
            _(
                "The signing secret for %(url)s is %(secret)s. Copy it now and give it to the "
                "partner: it will not be shown again."
            )
            % {"url": endpoint.url, "secret": secret},
        )

    @admin.action(
        description=_("Turn the selected endpoints back on (given-up deliveries are sent again)")
    )
    def enable(self, request, queryset):
        done = sum(
            webhooks.webhook_endpoint_enable(endpoint=endpoint, actor=request.user, request=request)
            for endpoint in queryset.select_related("client")
        )
        self.message_user(
            request,
            ngettext("%(count)d endpoint turned on.", "%(count)d endpoints turned on.", done)
            % {"count": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Turn the selected endpoints off"))
    def disable(self, request, queryset):
        done = sum(
            webhooks.webhook_endpoint_disable(
                endpoint=endpoint, reason="turned off by an administrator",
                actor=request.user, request=request,
            )
            for endpoint in queryset.select_related("client")
        )  # fmt: skip
        self.message_user(
            request,
            ngettext("%(count)d endpoint turned off.", "%(count)d endpoints turned off.", done)
            % {"count": done},
            messages.SUCCESS,
        )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "error", "milliseconds"]
    readonly_fields = ["at", "status_code", "error", "milliseconds"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(AuditedReadsAdmin):
    """The delivery log: each event sent to each endpoint, its attempts, and replay.

    Read-only; a body may hold a closure summary, so every page of it is audited,
    naming the referrals it shows by reference.
    """

    list_display = [
        "msg_id", "event_type", "endpoint", "state", "attempts", "created_at", "delivered_at",
        "last_error",
    ]  # fmt: skip
    list_filter = ["state", "event_type"]
    search_fields = ["msg_id", "ordering_key", "endpoint__url", "endpoint__client__name"]
    list_select_related = ["endpoint__client"]
    readonly_fields = [
        "msg_id", "endpoint", "event_type", "ordering_key", "state", "attempts", "created_at",
        "next_attempt_at", "first_failed_at", "delivered_at", "last_error", "body",
    ]  # fmt: skip
    fields = list(readonly_fields)
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def people_and_records(self, objs):
        records: dict = {}
        for obj in objs:
            try:
                reference = json.loads(obj.body).get("data", {}).get("reference")
            except (ValueError, AttributeError):
                reference = None
            if isinstance(reference, str):
                records[reference] = None
        return [], list(records)

    @admin.action(description=_("Send the selected deliveries again (same webhook-id)"))
    def replay(self, request, queryset):
        done = sum(
            webhooks.webhook_message_replay(message=message, actor=request.user, request=request)
            for message in queryset.select_related("endpoint__client")
        )
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", done)
            % {"count": done},
            messages.SUCCESS,
        )
