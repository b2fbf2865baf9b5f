from django.urls import path

from .views import erasure

app_name = "privacy"

# /audit/... the audit viewer (the DPO); /people/<uuid>/... a person's record
# for the DPO and the scheme's coordinator (subject access, correction, erasure).
urlpatterns: list = [
    # Rectification and erasure (README, "What is kept and for how long").
    path("people/<uuid:person_uuid>/correct/", erasure.person_correct, name="person_correct"),
    path("people/<uuid:person_uuid>/erase/", erasure.person_erase, name="person_erase"),
]
