from django.contrib import admin

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


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "version"]
    search_fields = ["name"]


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(admin.ModelAdmin):
    list_display = ["name", "name_cy", "code", "parent", "taxonomy"]
    list_filter = ["taxonomy"]
    search_fields = ["name", "name_cy", "code"]
    list_select_related = ["parent", "taxonomy"]
    autocomplete_fields = ["parent"]


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


class ServiceAtLocationInline(admin.TabularInline):
    model = ServiceAtLocation
    autocomplete_fields = ["location"]
    extra = 0


class ScheduleInline(admin.TabularInline):
    model = Schedule
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "status", "capacity", "is_free", "last_reviewed_on"]
    list_filter = ["status", "capacity", "is_free", "welsh_offered", "taxonomy_terms"]
    search_fields = ["name", "name_cy", "provider__name"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider", "reviewed_by"]
    filter_horizontal = ["taxonomy_terms"]
    inlines = [ServiceAtLocationInline, ScheduleInline, ContactInline]

    def save_related(self, request, form, formsets, change):
        from .services import service_refresh_search

        super().save_related(request, form, formsets, change)
        service_refresh_search(service_ids=[form.instance.pk])


@admin.register(ServiceCheck)
class ServiceCheckAdmin(admin.ModelAdmin):
    list_display = ["service", "checked_on", "checked_by", "safeguarding_policy", "insurance"]
    list_select_related = ["service", "checked_by"]
    autocomplete_fields = ["service", "checked_by"]


@admin.register(ServiceChange)
class ServiceChangeAdmin(admin.ModelAdmin):
    list_display = ["service", "status", "proposed_by", "proposed_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["service", "proposed_by", "decided_by"]
    readonly_fields = ["before", "after"]
    autocomplete_fields = ["service", "proposed_by", "decided_by"]


@admin.register(Postcode)
class PostcodeAdmin(admin.ModelAdmin):
    list_display = ["postcode", "local_authority", "lsoa", "imd_decile", "terminated_on"]
    search_fields = ["postcode"]


@admin.register(ServiceAtLocation)
class ServiceAtLocationAdmin(admin.ModelAdmin):
    list_display = ["service", "location"]
    list_select_related = ["service", "location"]
    autocomplete_fields = ["service", "location"]
