from django.urls import path

from .views import audit, erasure, people, subject_access

app_name = "privacy"

# /audit/... the audit viewer (the DPO); /people/<uuid>/... a person's record
# for the DPO and the scheme's coordinator (subject access, correction, erasure).
urlpatterns = [
    path("audit/", audit.trail, name="audit"),
    path("audit/export.csv", audit.trail_csv, name="audit_csv"),
    path("audit/people/<uuid:person_uuid>/", audit.person_trail, name="person_audit"),
    path(
        "audit/people/<uuid:person_uuid>/export.csv",
        audit.person_trail_csv,
        name="person_audit_csv",
    ),
    path("audit/users/<uuid:user_uuid>/", audit.user_trail, name="user_audit"),
    path("audit/users/<uuid:user_uuid>/export.csv", audit.user_trail_csv, name="user_audit_csv"),
    path("audit/unusual/", audit.unusual, name="unusual"),
    path("audit/unusual/export.csv", audit.unusual_csv, name="unusual_csv"),
    path("people/<uuid:person_uuid>/", people.person, name="person"),
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
    # Rectification and erasure (README, "What is kept and for how long").
    path("people/<uuid:person_uuid>/correct/", erasure.person_correct, name="person_correct"),
    path("people/<uuid:person_uuid>/erase/", erasure.person_erase, name="person_erase"),
]
