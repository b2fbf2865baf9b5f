from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("refresh/", views.refresh, name="refresh"),
    path("runs/<uuid:run_uuid>/", views.run_status, name="run_status"),
]

# The GP-system extract: its own block, appended.
urlpatterns += [
    path("gp-extract/", views.gp_extract_page, name="gp_extract"),
    path("gp-extract/<str:ods_code>.csv", views.gp_extract_csv, name="gp_extract_csv"),
]
