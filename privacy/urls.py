from django.urls import path  # noqa: F401

app_name = "privacy"

# /audit/... the audit viewer (the DPO); /people/<uuid>/... a person's record
# for the DPO and the scheme's coordinator (subject access, correction, erasure).
urlpatterns: list = []
