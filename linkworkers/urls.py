from django.urls import path

from . import views

app_name = "linkworkers"

urlpatterns = [
    path("<uuid:referral_uuid>/outcomes/", views.outcomes, name="outcomes"),
    path(
        "<uuid:referral_uuid>/outcomes/<slug:instrument_code>/<slug:timepoint>/",
        views.outcome_record,
        name="outcome_record",
    ),
]
