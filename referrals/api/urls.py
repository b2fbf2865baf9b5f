"""/api/v1/: the partner API (not under /cy/: a machine's address is the same in every language)."""

from django.urls import path

from . import views

app_name = "api-v1"

urlpatterns = [
    path("referrals/", views.ReferralListCreateView.as_view(), name="referrals"),
    path("referrals/<str:id>/", views.ReferralDetailView.as_view(), name="referral-detail"),
]
