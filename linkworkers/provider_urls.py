"""The provider side: connections sent to a provider's own services."""

from django.urls import path

from . import views

app_name = "providers"

urlpatterns = [
    path("", views.provider_connections, name="connections"),
    path("<uuid:connection_uuid>/", views.provider_connection, name="detail"),
    path("<uuid:connection_uuid>/messages/", views.provider_message, name="message"),
    path("<uuid:connection_uuid>/sessions/", views.provider_session, name="session"),
    path("<uuid:connection_uuid>/accept/", views.provider_accept, name="accept"),
    path("<uuid:connection_uuid>/decline/", views.provider_decline, name="decline"),
    path("<uuid:connection_uuid>/attendance/", views.provider_attendance, name="attendance"),
]
