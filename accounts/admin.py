from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin import ReadOnlyAdmin

from .models import (
    ApiClient,
    ApiScope,
    Area,
    AuditEvent,
    AuditSubject,
    BankHoliday,
    Organisation,
    User,
)
from .services import (
    api_client_create,
    api_client_revoke,
    api_client_update,
    signin_unlock,
    two_factor_reset,
)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
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
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "ods_code", "area"]
    list_filter = ["kind"]
    search_fields = ["name", "name_cy", "ods_code"]
    list_select_related = ["area"]
    autocomplete_fields = ["area"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail is append-only: readable here, never editable."""

    inlines = [AuditSubjectInline]

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
        fields = ["name", "organisation", "scopes", "rate_limit"]


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
        fields = ["name", "organisation", "scopes", "rate_limit"]
        return fields + (self.readonly_fields if obj else [])

    def save_model(self, request, obj, form, change):
        if change:
            # Through the service: checked like a new client, and written to the audit trail.
            api_client_update(
                client=obj, actor=request.user, request=request,
                **{field: form.cleaned_data[field]
                   for field in ("name", "organisation", "scopes", "rate_limit")},
            )  # fmt: skip
            return
        client, token = api_client_create(
            name=form.cleaned_data["name"],
            organisation=form.cleaned_data["organisation"],
            scopes=form.cleaned_data["scopes"],
            rate_limit=form.cleaned_data["rate_limit"],
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
