"""/fhir/: the FHIR R4 facade (not under /cy/: a machine's address is the same in every language).
Addresses answer with or without a trailing slash, as FHIR clients write them without."""

from django.urls import re_path

from . import views

app_name = "fhir"

ID = r"(?P<id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    re_path(r"^metadata/?$", views.MetadataView.as_view(), name="metadata"),
    re_path(
        r"^ServiceRequest/?$", views.ServiceRequestSearchView.as_view(), name="servicerequests"
    ),
    re_path(
        rf"^ServiceRequest/{ID}/_history/(?P<vid>[0-9]{{1,9}})/?$",
        views.ServiceRequestReadView.as_view(),
        name="servicerequest-version",
    ),
    re_path(
        rf"^ServiceRequest/{ID}/?$", views.ServiceRequestReadView.as_view(), name="servicerequest"
    ),
    re_path(r"^Task/?$", views.TaskSearchView.as_view(), name="tasks"),
    re_path(rf"^Task/{ID}/?$", views.TaskReadView.as_view(), name="task"),
    re_path(r"^Patient/?$", views.PatientSearchView.as_view(), name="patients"),
    re_path(rf"^Patient/{ID}/?$", views.PatientReadView.as_view(), name="patient"),
    re_path(
        r"^HealthcareService/?$",
        views.HealthcareServiceSearchView.as_view(),
        name="healthcareservices",
    ),
    re_path(
        rf"^HealthcareService/{ID}/?$",
        views.HealthcareServiceReadView.as_view(),
        name="healthcareservice",
    ),
    re_path(r"^Organization/?$", views.OrganizationSearchView.as_view(), name="organizations"),
    re_path(rf"^Organization/{ID}/?$", views.OrganizationReadView.as_view(), name="organization"),
    re_path(r"^Location/?$", views.LocationSearchView.as_view(), name="locations"),
    re_path(rf"^Location/{ID}/?$", views.LocationReadView.as_view(), name="location"),
    # Anything else is an OperationOutcome 404, not the site's HTML page.
    re_path(r"^(?P<rest>.*)$", views.UnknownView.as_view(), name="unknown"),
]
