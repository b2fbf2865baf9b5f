from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import (
    Contact,
    Location,
    Postcode,
    Provider,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceChange,
    ServiceCheck,
    Taxonomy,
    TaxonomyTerm,
)
from .selectors import taxonomy_term_with_descendants
from .services import service_refresh_search


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "version"]
    search_fields = ["name"]


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(admin.ModelAdmin):
    """Need words are read-only here: directory editors change them at
    /directory/review/categories/, through the service that checks and records it."""

    list_display = ["name", "name_cy", "code", "parent", "taxonomy"]
    list_filter = ["taxonomy"]
    search_fields = ["name", "name_cy", "code", "need_words", "need_words_cy"]
    list_select_related = ["parent", "taxonomy"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["need_words", "need_words_cy"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "parent" in form.changed_data:
            # A service's search document holds its categories and every one above them.
            service_refresh_search(
                service_ids=Service.objects.filter(
                    taxonomy_terms__in=taxonomy_term_with_descendants(obj)
                ).values_list("pk", flat=True)
            )


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "email", "updated_at"]
    search_fields = ["name", "name_cy", "charity_number"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "postcode", "city", "provider"]
    search_fields = ["name", "postcode", "city"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider"]


class ViewOnlyInline(admin.TabularInline):
    """Part of a listing: changed with the listing, through the review workflow."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ServiceAtLocationInline(ViewOnlyInline):
    model = ServiceAtLocation


class ScheduleInline(ViewOnlyInline):
    model = Schedule


class ContactInline(ViewOnlyInline):
    model = Contact


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    """Read-only: listings change through providers' proposals and editors' review
    (/directory/review/) or an HSDS import, so every change is checked and recorded."""

    list_display = ["name", "provider", "status", "capacity", "is_free", "last_reviewed_on"]
    list_filter = ["status", "capacity", "is_free", "welsh_offered", "taxonomy_terms"]
    search_fields = ["name", "name_cy", "provider__name"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider", "reviewed_by"]
    filter_horizontal = ["taxonomy_terms"]
    inlines = [ServiceAtLocationInline, ScheduleInline, ContactInline]


@admin.register(ServiceCheck)
class ServiceCheckAdmin(admin.ModelAdmin):
    list_display = ["service", "checked_on", "checked_by", "safeguarding_policy", "insurance"]
    list_select_related = ["service", "checked_by"]
    autocomplete_fields = ["service", "checked_by"]


@admin.register(ServiceChange)
class ServiceChangeAdmin(ReadOnlyAdmin):
    """Read-only: editors approve or reject changes at /directory/review/."""

    list_display = ["service", "status", "proposed_by", "proposed_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["service", "proposed_by", "decided_by"]
    readonly_fields = ["before", "after"]


@admin.register(Postcode)
class PostcodeAdmin(admin.ModelAdmin):
    list_display = ["postcode", "local_authority", "lsoa", "imd_decile", "terminated_on"]
    search_fields = ["postcode"]


@admin.register(ServiceAtLocation)
class ServiceAtLocationAdmin(ReadOnlyAdmin):
    """Read-only, like the listing it belongs to."""

    list_display = ["service", "location"]
    list_select_related = ["service", "location"]
