from django.urls import path

from . import views

app_name = "linkworkers"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("<uuid:referral_uuid>/", views.case_overview, name="case"),
    path("<uuid:referral_uuid>/contacts/", views.contact_log, name="contact_log"),
    path("<uuid:referral_uuid>/what-matters/", views.what_matters, name="what_matters"),
    path("<uuid:referral_uuid>/goals/", views.goal_add, name="goal_add"),
    path("<uuid:referral_uuid>/goals/<uuid:goal_uuid>/", views.goal_update, name="goal_update"),
    path("<uuid:referral_uuid>/close/", views.case_close, name="close"),
    path("<uuid:referral_uuid>/reopen/", views.case_reopen, name="reopen"),
    path("<uuid:referral_uuid>/outcomes/", views.outcomes, name="outcomes"),
    path(
        "<uuid:referral_uuid>/outcomes/<slug:instrument_code>/<slug:timepoint>/",
        views.outcome_record,
        name="outcome_record",
    ),
]
