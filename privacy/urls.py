from django.urls import path

from .views import subject_access

app_name = "privacy"

# /audit/... the audit viewer (the DPO); /people/<uuid>/... a person's record
# for the DPO and the scheme's coordinator (subject access, correction, erasure).
urlpatterns: list = [
    # Subject access (README, "Subject access").
    path(
        "people/<uuid:person_uuid>/subject-access/",
        subject_access.subject_access,
        name="subject_access",
    ),
    path(
        "people/<uuid:person_uuid>/subject-access/bundle.html",
        subject_access.subject_access_html,
        name="subject_access_html",
    ),
    path(
        "people/<uuid:person_uuid>/subject-access/bundle.json",
        subject_access.subject_access_json,
        name="subject_access_json",
    ),
]
