from django.contrib import admin

from .models import LinkWorker


@admin.register(LinkWorker)
class LinkWorkerAdmin(admin.ModelAdmin):
    list_display = ["user", "scheme", "capacity", "active"]
    list_filter = ["active", "scheme"]
    list_select_related = ["user", "scheme"]
    autocomplete_fields = ["user", "scheme", "areas"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
