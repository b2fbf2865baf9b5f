from django.urls import path

from . import views

app_name = "linkworkers"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("team/", views.team, name="team"),
    path("waiting/", views.waiting_list, name="waiting"),
    path("supervision/", views.supervision_own, name="supervision"),
    path("supervision/<uuid:user_uuid>/", views.supervision_for, name="supervision_for"),
    path("<uuid:referral_uuid>/people/", views.case_people, name="people"),
    path("<uuid:referral_uuid>/allocate/", views.allocate, name="allocate"),
    path("<uuid:referral_uuid>/reassign/", views.case_reassign, name="reassign"),
    path(
        "<uuid:referral_uuid>/peer-navigators/", views.peer_navigator_add, name="peer_navigator_add"
    ),
    path(
        "<uuid:referral_uuid>/peer-navigators/<uuid:user_uuid>/remove/",
        views.peer_navigator_remove,
        name="peer_navigator_remove",
    ),
    path("<uuid:referral_uuid>/peer/", views.peer_case, name="peer_case"),
    path("<uuid:referral_uuid>/", views.case_overview, name="case"),
    path("<uuid:referral_uuid>/contacts/", views.contact_log, name="contact_log"),
    path("<uuid:referral_uuid>/gp-feedback/", views.gp_feedback_change, name="gp_feedback"),
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
    path(
        "<uuid:referral_uuid>/connections/<uuid:connection_uuid>/",
        views.connection_detail,
        name="connection",
    ),
    path(
        "<uuid:referral_uuid>/connections/<uuid:connection_uuid>/messages/",
        views.connection_message,
        name="connection_message",
    ),
    path(
        "<uuid:referral_uuid>/connections/<uuid:connection_uuid>/sessions/",
        views.connection_session,
        name="connection_session",
    ),
    path("<uuid:referral_uuid>/documents/", views.documents, name="documents"),
    path(
        "<uuid:referral_uuid>/documents/<uuid:document_uuid>/",
        views.document_download,
        name="document",
    ),
    path(
        "<uuid:referral_uuid>/documents/<uuid:document_uuid>/delete/",
        views.document_delete,
        name="document_delete",
    ),
    path("<uuid:referral_uuid>/unmet-needs/", views.unmet_need, name="unmet_need"),
    path("<uuid:referral_uuid>/prescription/", views.prescription, name="prescription"),
    path(
        "<uuid:referral_uuid>/prescription/email/",
        views.prescription_email,
        name="prescription_email",
    ),
    path(
        "<uuid:referral_uuid>/prescription/text/",
        views.prescription_text,
        name="prescription_text",
    ),
]
