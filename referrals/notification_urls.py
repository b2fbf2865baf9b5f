"""Every role's notifications, at /notifications/ (config/urls.py)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notifications, name="list"),
    path("<uuid:notification_uuid>/open/", views.notification_open, name="open"),
    path("<uuid:notification_uuid>/read/", views.notification_read, name="read"),
]
