from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Area, AuditEvent, Organisation, User


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "name_cy", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


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
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Role and organisation"), {"fields": ("role", "organisation", "preferred_language")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Role and organisation"), {"fields": ("role", "organisation", "preferred_language")}),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only: readable here, never editable."""

    list_display = ["created_at", "actor", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username", "detail"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
