"""The FHIR R4 facade under /fhir/ (README, "FHIR"): thin views over the same services,
selectors and audit as the partner API.

Referral resources (ServiceRequest, Task, Patient) need the partner API's
Bearer token and the fhir:write / fhir:read scopes, and show only the
client's organisation's referrals (any other id answers 404, as the partner
API does). The directory resources and the CapabilityStatement are public,
like the Open Referral API. Every answer is `application/fhir+json`; every
error an OperationOutcome (fhir_api.outcomes).
"""

import hashlib
import uuid
from urllib.parse import parse_qsl

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.authentication import ApiClientAuthentication
from accounts.api.parsers import SafeJSONParser
from accounts.api.permissions import HasApiScope
from accounts.api.throttling import ApiClientRateThrottle
from accounts.models import ApiScope
from core.problems import InvalidParameter, NotFound
from referrals import services
from referrals.models import ApiIdempotencyKey

from . import capability, codes, intake, resources, search, selectors
from .outcomes import FhirJSONParser, FhirJSONRenderer, FhirOnly, fhir_exception_handler


@extend_schema(exclude=True)  # FHIR describes itself: /fhir/metadata
class FhirView(APIView):
    authentication_classes = [ApiClientAuthentication]
    permission_classes = [HasApiScope]
    throttle_classes = [ApiClientRateThrottle]
    parser_classes = [FhirJSONParser, SafeJSONParser]
    renderer_classes = [FhirJSONRenderer]
    content_negotiation_class = FhirOnly
    http_method_names = ["get", "head"]
    required_scopes: dict[str, str] = {"GET": ApiScope.FHIR_READ}
    problem_invalid_title = gettext_lazy("The request has errors")

    def get_exception_handler(self):
        return fhir_exception_handler

    def dispatch(self, request, *args, **kwargs):
        language = translation.get_language_from_request(request, check_path=False)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
        response.headers.setdefault("Content-Language", language)
        return response

    @staticmethod
    def problem_field_name(name):
        return intake.FIELD_PATHS.get(name, name)

    @property
    def api_client(self):
        return self.request.auth

    def base(self) -> str:
        return self.request.build_absolute_uri("/fhir/")


class PublicFhirView(FhirView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    required_scopes = {}


def _answer(resource, *, version=None, status_code=200, headers=None) -> Response:
    response = Response(resource, status=status_code, headers=headers)
    if version is not None:
        response["ETag"] = f'W/"{version}"'
    return response


class MetadataView(PublicFhirView):
    def get(self, request):
        return Response(capability.capability_statement(base=self.base()))


# --- Referrals: ServiceRequest, Task, Patient -------------------------------------------------


def _with_versions(resource, referral):
    resource["meta"]["versionId"] = str(referral.version)
    return resource


class ServiceRequestSearchView(FhirView):
    http_method_names = ["get", "post", "head"]
    required_scopes = {"GET": ApiScope.FHIR_READ, "POST": ApiScope.FHIR_WRITE}
    known = {
        "_id", "_lastUpdated", "identifier", "status", "patient", "subject",
        "patient:identifier", "patient.identifier", "subject:identifier",
    }  # fmt: skip

    def get(self, request):
        params = request.query_params
        search.check_known(params, self.known)
        rows = selectors.referrals_for(self.api_client)
        rows = rows.filter(search.date_filter(params, "_lastUpdated", "updated_at"))
        rows = _by_id(rows, params, "_id")
        for name in ("patient", "subject"):
            for value in search.values(params, name):
                rows = _with_id(rows, "uuid", search.reference_id(name, value, "Patient"))
        for name in ("patient:identifier", "patient.identifier", "subject:identifier"):
            for value in search.values(params, name):
                rows = rows.filter(person_details_as_referred__nhs_number=_nhs_number(name, value))
        for value in search.values(params, "identifier"):
            system, code = search.token("identifier", value)
            if system == codes.reference_system() or (system is None and code.startswith("SP-")):
                rows = rows.filter(reference=code)
            elif system is None:
                raise InvalidParameter("identifier", _("Give the identifier as system|value."))
            else:
                matched = selectors.referrals_with_identifier(self.api_client, system, code)
                rows = rows.filter(pk__in=matched.values("pk"))
        wanted = search.codes(params, "status", codes.SERVICE_REQUEST_STATUSES)
        if wanted is not None:
            rows = rows.filter(status__in=codes.statuses_for_service_request(wanted))
        page = {}

        def entry(referral):
            resource = resources.service_request(referral, identifiers=page.get(referral.pk, []))
            return f"{self.base()}ServiceRequest/{referral.uuid}", _with_versions(
                resource, referral
            )

        # The identifiers of the page's rows come in one query, once the page is known.
        body, shown = search.bundle(request, rows, lambda referral: (None, None))
        page.update(selectors.request_identifiers(self.api_client, shown))
        _fill(body, shown, entry)
        _audit(request, self.api_client, shown, "FHIR ServiceRequest search")
        return Response(body)

    def post(self, request):
        person, details, identifier = intake.read_service_request(
            request.data,
            known_patient=lambda found: selectors.patient_details_for(self.api_client, found),
        )
        condition = _if_none_exist(request)
        identifier = condition or identifier
        arguments = {
            "api_client": self.api_client,
            "person_details": person,
            "referral_details": details,
            "request": request,
        }
        if identifier is None:
            referral, created = services.referral_create(**arguments), True
        else:
            key = selectors.identifier_key(*identifier)
            if len(key) > ApiIdempotencyKey._meta.get_field("key").max_length:
                raise InvalidParameter(
                    "ServiceRequest.identifier",
                    _("Keep the identifier's system and value to 238 characters together."),
                )
            # The same identifier is the same request, whatever else the retry changed:
            # FHIR's conditional create answers the first one's resource.
            digest = hashlib.sha256(key.encode()).hexdigest()
            referral, created = services.referral_create_idempotent(
                idempotency_key=key, request_hash=digest, **arguments
            )
        referral = selectors.referral_for(self.api_client, referral.uuid)
        location = f"{self.base()}ServiceRequest/{referral.uuid}/_history/{referral.version}"
        identifiers = selectors.request_identifiers(self.api_client, [referral])
        resource = resources.service_request(referral, identifiers=identifiers.get(referral.pk, []))
        return _answer(
            _with_versions(resource, referral),
            version=referral.version,
            status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": location},
        )


class ServiceRequestReadView(FhirView):
    def get(self, request, id, vid=None):
        referral = selectors.referral_for(self.api_client, id)
        if vid is not None and vid != str(referral.version):
            # No history is kept: only the current version can be read (the create's Location).
            raise NotFound(_("Only the current version can be read."), parameter="_history")
        _audited(request, self.api_client, referral)
        identifiers = selectors.request_identifiers(self.api_client, [referral])
        resource = resources.service_request(referral, identifiers=identifiers.get(referral.pk, []))
        return _answer(_with_versions(resource, referral), version=referral.version)


class ReferralSearchView(FhirView):
    """A search over the client's referrals shown as one resource type: the parameters every
    such search takes (`_id`, `_lastUpdated`), the type's own in `narrow`, one audit row."""

    resource_type = ""
    known = {"_id", "_lastUpdated"}

    def present(self, referral):
        raise NotImplementedError

    def narrow(self, rows, params):
        return rows

    def get(self, request):
        params = request.query_params
        search.check_known(params, self.known)
        rows = selectors.referrals_for(self.api_client)
        rows = rows.filter(search.date_filter(params, "_lastUpdated", "updated_at"))
        rows = self.narrow(_by_id(rows, params, "_id"), params)

        def entry(referral):
            resource = _with_versions(self.present(referral), referral)
            return f"{self.base()}{self.resource_type}/{referral.uuid}", resource

        body, shown = search.bundle(request, rows, entry)
        _audit(request, self.api_client, shown, f"FHIR {self.resource_type} search")
        return Response(body)


class ReferralReadView(FhirView):
    """One of the client's referrals shown as one resource type, the read audited."""

    def present(self, referral):
        raise NotImplementedError

    def get(self, request, id):
        referral = _read_referral(request, self.api_client, id)
        return _answer(_with_versions(self.present(referral), referral), version=referral.version)


class TaskSearchView(ReferralSearchView):
    resource_type = "Task"
    known = {
        "_id", "_lastUpdated", "focus", "based-on", "owner", "owner:identifier", "status",
        "patient", "subject",
    }  # fmt: skip

    def present(self, referral):
        return resources.task(referral)

    def narrow(self, rows, params):
        for name, kind in (("focus", "ServiceRequest"), ("based-on", "ServiceRequest"),
                           ("patient", "Patient"), ("subject", "Patient")):  # fmt: skip
            for value in search.values(params, name):
                rows = _with_id(rows, "uuid", search.reference_id(name, value, kind))
        for value in search.values(params, "owner"):
            rows = _with_id(
                rows, "scheme__uuid", search.reference_id("owner", value, "Organization")
            )
        for value in search.values(params, "owner:identifier"):
            system, code = search.token("owner:identifier", value)
            if system in (None, codes.ODS_SYSTEM):
                rows = rows.filter(scheme__ods_code=code)
            elif system == codes.organisation_system():
                rows = _with_id(rows, "scheme__uuid", code)
            else:
                rows = rows.none()
        wanted = search.codes(params, "status", codes.TASK_STATUSES)
        if wanted is not None:
            rows = rows.filter(status__in=codes.statuses_for_task(wanted))
        return rows


class TaskReadView(ReferralReadView):
    def present(self, referral):
        return resources.task(referral)


class PatientSearchView(ReferralSearchView):
    resource_type = "Patient"
    known = {"_id", "_lastUpdated", "identifier"}

    def present(self, referral):
        return resources.patient(referral)

    def narrow(self, rows, params):
        for value in search.values(params, "identifier"):
            rows = rows.filter(
                person_details_as_referred__nhs_number=_nhs_number("identifier", value)
            )
        return rows


class PatientReadView(ReferralReadView):
    def present(self, referral):
        return resources.patient(referral)


# --- The directory: public ---------------------------------------------------------------------


class DirectorySearchView(PublicFhirView):
    resource_type = ""
    known = {"_id", "_lastUpdated", "name"}
    name_field = "name"

    def rows(self):
        raise NotImplementedError

    def present(self, row):
        raise NotImplementedError

    def narrow(self, rows, params):
        return rows

    def get(self, request):
        params = request.query_params
        search.check_known(params, self.known)
        rows = self.rows().filter(search.date_filter(params, "_lastUpdated", "updated_at"))
        rows = _by_id(rows, params, "_id")
        for value in search.values(params, "name"):
            rows = rows.filter(**{f"{self.name_field}__istartswith": value.strip()})
        rows = self.narrow(rows, params)

        def entry(row):
            return f"{self.base()}{self.resource_type}/{row.uuid}", self.present(row)

        body, _shown = search.bundle(request, rows, entry)
        return Response(body)


class HealthcareServiceSearchView(DirectorySearchView):
    resource_type = "HealthcareService"
    known = {"_id", "_lastUpdated", "name", "organization", "location", "active"}

    def rows(self):
        return selectors.healthcare_services()

    def present(self, row):
        return resources.healthcare_service(row)

    def narrow(self, rows, params):
        for value in search.values(params, "organization"):
            provider = search.reference_id("organization", value, "Organization")
            rows = _with_id(rows, "provider__uuid", provider)
        for value in search.values(params, "location"):
            place = search.reference_id("location", value, "Location")
            rows = _with_id(rows, "at_locations__location__uuid", place).distinct()
        active = search.codes(params, "active", ("true", "false"))
        if active is not None and len(set(active)) == 1:
            wanted = active[0] == "true"
            rows = rows.filter(status="active") if wanted else rows.exclude(status="active")
        return rows


class OrganizationSearchView(DirectorySearchView):
    resource_type = "Organization"

    def rows(self):
        return selectors.organizations()

    def present(self, row):
        return resources.organization(row)


class LocationSearchView(DirectorySearchView):
    resource_type = "Location"
    known = {"_id", "_lastUpdated", "name", "organization", "address-postalcode"}

    def rows(self):
        return selectors.locations()

    def present(self, row):
        return resources.location(row)

    def narrow(self, rows, params):
        for value in search.values(params, "organization"):
            provider = search.reference_id("organization", value, "Organization")
            rows = _with_id(rows, "provider__uuid", provider)
        for value in search.values(params, "address-postalcode"):
            rows = rows.filter(postcode__istartswith=value.strip())
        return rows


class HealthcareServiceReadView(PublicFhirView):
    def get(self, request, id):
        return Response(resources.healthcare_service(selectors.healthcare_service(id)))


class OrganizationReadView(PublicFhirView):
    def get(self, request, id):
        return Response(resources.organization(selectors.organization(id)))


class UnknownView(PublicFhirView):
    """Any other address under /fhir/: a resource type or operation this server does not have."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head"]

    def get(self, request, rest=""):
        raise NotFound(_("This server has no such resource type or operation."), parameter="path")

    post = put = patch = delete = get


class LocationReadView(PublicFhirView):
    def get(self, request, id):
        return Response(resources.location(selectors.location(id)))


# --- Helpers ------------------------------------------------------------------------------------


def _uuid_or_none(value: str):
    """A syntactically wrong id finds nothing (as an unknown one does), never an error."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def _with_id(rows, field: str, value: str):
    """Rows whose `field` is this id; none for an id that is not one (never the rows without)."""
    found = _uuid_or_none(value)
    return rows.filter(**{field: found}) if found else rows.none()


def _by_id(rows, params, name):
    for value in search.values(params, name):
        ids = [_uuid_or_none(part.strip()) for part in value.split(",")]
        rows = rows.filter(uuid__in=[found for found in ids if found])
    return rows


def _nhs_number(name: str, value: str) -> str:
    system, code = search.token(name, value)
    if system not in (None, codes.NHS_NUMBER_SYSTEM):
        raise InvalidParameter(
            name,
            _("Search by NHS number: %(system)s|<number>.") % {"system": codes.NHS_NUMBER_SYSTEM},
        )
    return code.replace(" ", "")


def _if_none_exist(request) -> tuple[str, str] | None:
    header = request.headers.get("If-None-Exist")
    if header is None:
        return None
    pairs = parse_qsl(header.strip().lstrip("?"), keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "identifier":
        raise InvalidParameter(
            "If-None-Exist", _("Give one condition, identifier=<system>|<value>.")
        )
    system, value = search.token("If-None-Exist", pairs[0][1])
    if not system or not value:
        raise InvalidParameter(
            "If-None-Exist", _("Give one condition, identifier=<system>|<value>.")
        )
    return system, value


def _fill(body, shown, entry) -> None:
    for item, row in zip(body.get("entry", []), shown, strict=True):
        item["fullUrl"], item["resource"] = entry(row)


def _audit(request, api_client, shown, what) -> None:
    # One row for the answer, naming everyone on it (even none: the search itself is worth knowing).
    services.referrals_view_record(
        referrals=shown, actor=None, api_client=api_client, request=request, what=what
    )


def _read_referral(request, api_client, id):
    """The client's referral by id (404 outside its organisation), the read audited."""
    return _audited(request, api_client, selectors.referral_for(api_client, id))


def _audited(request, api_client, referral):
    services.referral_view_record(
        referral=referral, actor=None, api_client=api_client, request=request
    )
    return referral
