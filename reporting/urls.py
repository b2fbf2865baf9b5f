from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("refresh/", views.refresh, name="refresh"),
    path("runs/<uuid:run_uuid>/", views.run_status, name="run_status"),
]

# The GP-system extract.
urlpatterns += [
    path("gp-extract/", views.gp_extract_page, name="gp_extract"),
    path("gp-extract/<str:ods_code>.csv", views.gp_extract_csv, name="gp_extract_csv"),
]

# Exports: "all.xlsx" comes before the per-table addresses, which would take "all" for a key.
urlpatterns += [
    path("export/all.xlsx", views.export_all, name="export_all"),
    path(
        "export/<slug:table_key>.csv",
        views.export_table,
        {"extension": "csv"},
        name="export_csv",
    ),
    path(
        "export/<slug:table_key>.xlsx",
        views.export_table,
        {"extension": "xlsx"},
        name="export_xlsx",
    ),
]
