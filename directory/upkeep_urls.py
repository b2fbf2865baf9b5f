from django.urls import path

from . import upkeep_views as views

# Beside directory/urls.py (the public directory) under the same /directory/ prefix.
app_name = "upkeep"

urlpatterns = [
    path("manage/", views.manage, name="manage"),
    path("manage/services/<uuid:uuid>/edit/", views.service_edit, name="service_edit"),
    path("manage/services/<uuid:uuid>/confirm/", views.service_confirm, name="service_confirm"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<uuid:uuid>/", views.review_change, name="review_change"),
    path("review/<uuid:uuid>/approve/", views.review_approve, name="review_approve"),
    path("review/<uuid:uuid>/reject/", views.review_reject, name="review_reject"),
    path("review/categories/", views.categories, name="categories"),
    path("review/categories/<uuid:uuid>/", views.category_needs, name="category_needs"),
    path("services/<uuid:uuid>/checks/", views.service_checks, name="service_checks"),
]
