"""The CapabilityStatement at /fhir/metadata: what this server does, read by partners' tools."""

from typing import Any

from django.conf import settings

from . import codes

SEARCH_TYPES = {
    "_id": "token",
    "_lastUpdated": "date",
    "identifier": "token",
    "status": "token",
    "patient": "reference",
    "subject": "reference",
    "focus": "reference",
    "based-on": "reference",
    "owner": "reference",
    "name": "string",
    "organization": "reference",
    "location": "reference",
    "active": "token",
    "address-postalcode": "string",
}
RESOURCES = [
    # (type, interactions, search parameters, conditional create, profile)
    ("ServiceRequest", ["create", "read", "vread", "search-type"],
     ["_id", "_lastUpdated", "identifier", "status", "patient", "subject"], True,
     codes.SDOHCC_SERVICE_REQUEST),
    ("Task", ["read", "search-type"],
     ["_id", "_lastUpdated", "focus", "based-on", "owner", "status", "patient", "subject"], False,
     codes.SDOHCC_TASK),
    ("Patient", ["read", "search-type"], ["_id", "_lastUpdated", "identifier"], False, None),
    ("HealthcareService", ["read", "search-type"],
     ["_id", "_lastUpdated", "name", "organization", "location", "active"], False, None),
    ("Organization", ["read", "search-type"], ["_id", "_lastUpdated", "name"], False, None),
    ("Location", ["read", "search-type"],
     ["_id", "_lastUpdated", "name", "organization", "address-postalcode"], False, None),
]  # fmt: skip


def capability_statement(*, base: str) -> dict[str, Any]:
    resources = []
    for kind, interactions, params, conditional, profile in RESOURCES:
        resource: dict[str, Any] = {
            "type": kind,
            "interaction": [{"code": code} for code in interactions],
            "searchParam": [{"name": name, "type": SEARCH_TYPES[name]} for name in params],
        }
        if profile:
            resource["supportedProfile"] = [profile]
        if conditional:
            resource["conditionalCreate"] = True
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-04",
        "publisher": "Social prescribing referral manager",
        "kind": "instance",
        "software": {"name": "Social prescribing referral manager"},
        "implementation": {"description": "FHIR R4 facade for GP and care systems", "url": base},
        "fhirVersion": codes.FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Referral resources (ServiceRequest, Task, Patient) need an API client's "
                    "token as `Authorization: Bearer <token>` with the fhir:write or fhir:read "
                    "scope; the directory resources are public. See "
                    f"{settings.SITE_URL.rstrip('/')}/ (README, FHIR)."
                ),
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "OAuth",
                                }
                            ],
                            "text": "Bearer token issued by an administrator",
                        }
                    ]
                },
                "resource": resources,
            }
        ],
    }
