from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_new, name="new"),
    path("triage/", views.triage, name="triage"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<uuid:duplicate_uuid>/", views.duplicate_detail, name="duplicate"),
    path(
        "duplicates/<uuid:duplicate_uuid>/<slug:decision>/",
        views.duplicate_decide,
        name="duplicate_decide",
    ),
    # Moved to /notifications/ (notification_urls.py): the old address redirects there.
    path("notifications/", views.notifications_moved, name="notifications"),
    path("<uuid:referral_uuid>/", views.referral_detail, name="detail"),
    path("<uuid:referral_uuid>/sent/", views.referral_submitted, name="submitted"),
    path("<uuid:referral_uuid>/<slug:action>/", views.referral_action, name="action"),
]
