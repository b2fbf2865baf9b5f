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

urlpatterns += [
    path("<uuid:referral_uuid>/connections/", views.connections, name="connections"),
    path(
        "<uuid:referral_uuid>/connections/propose/",
        views.connection_propose,
        name="connection_propose",
    ),
    path(
        "<uuid:referral_uuid>/connections/<uuid:connection_uuid>/refer/",
        views.connection_refer,
        name="connection_refer",
    ),
    path(
        "<uuid:referral_uuid>/connections/<uuid:connection_uuid>/stop/",
        views.connection_stop,
        name="connection_stop",
    ),
    path("<uuid:referral_uuid>/unmet-needs/", views.unmet_need, name="unmet_need"),
    path("<uuid:referral_uuid>/prescription/", views.prescription, name="prescription"),
    path(
        "<uuid:referral_uuid>/prescription/email/",
        views.prescription_email,
        name="prescription_email",
    ),
]
