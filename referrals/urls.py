from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_new, name="new"),
    path("triage/", views.triage, name="triage"),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/<uuid:notification_uuid>/open/",
        views.notification_open,
        name="notification_open",
    ),
    path("<uuid:referral_uuid>/", views.referral_detail, name="detail"),
    path("<uuid:referral_uuid>/sent/", views.referral_submitted, name="submitted"),
    path("<uuid:referral_uuid>/<slug:action>/", views.referral_action, name="action"),
]
