"""Our rows as FHIR R4 resources (read side). Each function gives one resource as a dict.

A referral is three resources with the referral's id: the ServiceRequest (what
was asked), the Task (Gravity's closed loop: its status follows the
referral's), and the Patient as the referring organisation supplied them
(Referral.person_as_referred: never the scheme's record, which may hold what
the referrer never gave). The closure summary and a rejection's suggested
alternative appear only where the person allowed words back to their GP
(referrals.selectors.referrer_feedback_text).
"""

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from django.utils import timezone

from accounts.models import Organisation
from directory.models import Location, Provider, Service
from referrals import selectors as referral_selectors
from referrals.models import ClosureReason, Reason, Referral, RejectionReason, Status

from . import codes

SERVICE_PROVISION = "http://terminology.hl7.org/CodeSystem/service-provision-conditions"


def instant(value) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value, UTC).isoformat().replace("+00:00", "Z")


def _meta(updated_at, profile: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"lastUpdated": instant(updated_at)}
    if profile:
        meta["profile"] = [profile]
    return meta


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    """FHIR forbids empty strings, lists and objects: leave them out."""
    cleaned = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = _clean(value)
        elif isinstance(value, list):
            value = [_clean(v) if isinstance(v, dict) else v for v in value]
            value = [v for v in value if v not in ("", None, {}, [])]
        if value in ("", None, {}, []):
            continue
        cleaned[key] = value
    return cleaned


def organisation_reference(organisation: Organisation | None) -> dict[str, Any] | None:
    """A logical reference to one of our organisations: by ODS code where it has one."""
    if organisation is None:
        return None
    if organisation.ods_code:
        identifier = {"system": codes.ODS_SYSTEM, "value": organisation.ods_code}
    else:
        identifier = {"system": codes.organisation_system(), "value": str(organisation.uuid)}
    return {"type": "Organization", "identifier": identifier, "display": organisation.name}


def _reason_concepts(referral: Referral) -> list[dict[str, Any]]:
    concepts = []
    for code in referral.reasons:
        label = Reason(code).label if code in Reason.values else code
        concept: dict[str, Any] = {
            "coding": [{"system": codes.reason_system(), "code": code, "display": str(label)}]
        }
        if code == Reason.OTHER and referral.reason_other:
            concept["text"] = referral.reason_other
        concepts.append(concept)
    return concepts


def _reference_identifier(referral: Referral) -> dict[str, Any]:
    return {"use": "secondary", "system": codes.reference_system(), "value": referral.reference}


def service_request(
    referral: Referral, *, identifiers: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    code, display = codes.SOCIAL_PRESCRIBING_REFERRAL
    extensions = [{"url": codes.gp_feedback_extension(), "valueCode": referral.gp_feedback}]
    return _clean(
        {
            "resourceType": "ServiceRequest",
            "id": str(referral.uuid),
            "meta": _meta(referral.updated_at),
            "extension": extensions,
            "identifier": [
                *({"use": "official", "system": s, "value": v} for s, v in identifiers),
                _reference_identifier(referral),
            ],
            "status": codes.SERVICE_REQUEST_STATUS[referral.status],
            "intent": "order",
            "category": _reason_concepts(referral),
            "priority": codes.PRIORITY.get(referral.urgency, "routine"),
            "code": {"coding": [{"system": codes.SNOMED, "code": code, "display": display}]},
            "subject": {"reference": f"Patient/{referral.uuid}"},
            "authoredOn": instant(referral.received_at),
            "requester": {"display": referral.referrer_name},
            "performer": [organisation_reference(referral.scheme)],
            "note": [{"text": referral.what_matters}],
        }
    )


def _status_concept(system: str, code: str, label) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": str(label)}], "text": str(label)}


def task(referral: Referral) -> dict[str, Any]:
    feedback = referral_selectors.referrer_feedback_text(referral)
    status_reason = None
    outputs = []
    if referral.status == Status.REJECTED and referral.rejection_reason:
        status_reason = _status_concept(
            codes.rejection_system(),
            referral.rejection_reason,
            RejectionReason(referral.rejection_reason).label,
        )
        if feedback.shown and feedback.suggested_alternative:
            outputs.append(_output("suggested-alternative", "Suggested alternative",
                                   feedback.suggested_alternative))  # fmt: skip
    if referral.status == Status.CLOSED and referral.closure_reason:
        status_reason = _status_concept(
            codes.closure_system(),
            referral.closure_reason,
            ClosureReason(referral.closure_reason).label,
        )
        if feedback.shown and feedback.closure_summary:
            outputs.append(_output("closure-summary", "Closure summary", feedback.closure_summary))
    ended = referral.closed_at or referral.rejected_at or referral.cancelled_at
    if referral.status not in (Status.CLOSED, Status.REJECTED, Status.CANCELLED):
        ended = None
    return _clean(
        {
            "resourceType": "Task",
            "id": str(referral.uuid),
            "meta": _meta(referral.updated_at, codes.SDOHCC_TASK),
            "identifier": [_reference_identifier(referral)],
            "basedOn": [{"reference": f"ServiceRequest/{referral.uuid}"}],
            "status": codes.TASK_STATUS[referral.status],
            "statusReason": status_reason,
            "businessStatus": _status_concept(
                codes.status_system(), referral.status, Status(referral.status).label
            ),
            "intent": "order",
            "priority": codes.PRIORITY.get(referral.urgency, "routine"),
            "code": {
                "coding": [
                    {
                        "system": codes.TASK_CODE_SYSTEM,
                        "code": "fulfill",
                        "display": "Fulfill the focal request",
                    }
                ]
            },
            "focus": {"reference": f"ServiceRequest/{referral.uuid}"},
            "for": {"reference": f"Patient/{referral.uuid}"},
            "executionPeriod": {
                "start": instant(referral.received_at),
                "end": instant(ended),
            },
            "authoredOn": instant(referral.received_at),
            "lastModified": instant(referral.updated_at),
            "requester": organisation_reference(referral.referring_organisation),
            "owner": organisation_reference(referral.scheme),
            "output": outputs,
        }
    )


def _output(code: str, label: str, text: str) -> dict[str, Any]:
    return {
        "type": {"coding": [{"system": codes.output_system(), "code": code, "display": label}]},
        "valueString": text,
    }


def patient(referral: Referral) -> dict[str, Any]:
    """The person as the referring organisation supplied them: who, not how to reach them.

    The same fields the partner API gives (name, date of birth, NHS number, postcode).
    """
    person = referral.person_as_referred
    names = [{"use": "official", "family": person.family_name, "given": [person.given_name]}]
    if person.preferred_name:
        names.append({"use": "usual", "given": [person.preferred_name]})
    identifiers = []
    if person.nhs_number:
        identifiers.append({"system": codes.NHS_NUMBER_SYSTEM, "value": person.nhs_number})
    return _clean(
        {
            "resourceType": "Patient",
            "id": str(referral.uuid),
            "meta": _meta(referral.updated_at),
            "identifier": identifiers,
            "name": names,
            "birthDate": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "address": [{"postalCode": person.postcode}] if person.postcode else [],
        }
    )


# The directory: public, like the Open Referral API.


def _telecom(phone: str, email: str, url: str = "") -> list[dict[str, str]]:
    found = [("phone", phone), ("email", email), ("url", url)]
    return [{"system": system, "value": value} for system, value in found if value]


def healthcare_service(service: Service) -> dict[str, Any]:
    terms = list(service.taxonomy_terms.all())
    places = [link.location for link in service.at_locations.all()]
    provision = ("free", "Free") if service.is_free else ("cost", "Fees apply")
    return _clean(
        {
            "resourceType": "HealthcareService",
            "id": str(service.uuid),
            "meta": _meta(service.updated_at),
            "active": service.status == Service.Status.ACTIVE,
            "providedBy": {
                "reference": f"Organization/{service.provider.uuid}",
                "display": service.provider.name,
            },
            "category": [
                {
                    "coding": [
                        {
                            "system": codes.own("CodeSystem", "service-category"),
                            "code": term.code,
                            "display": term.name,
                        }
                    ]
                }
                for term in terms
            ],  # fmt: skip
            "location": [
                {"reference": f"Location/{place.uuid}", "display": place.name} for place in places
            ],
            "name": service.name,
            "extraDetails": "\n\n".join(
                text for text in (service.description, service.how_to_access) if text
            ),
            "telecom": _telecom(service.phone, service.email, service.url),
            "serviceProvisionCode": [
                {
                    "coding": [
                        {"system": SERVICE_PROVISION, "code": provision[0], "display": provision[1]}
                    ]
                }
            ],  # fmt: skip
            "eligibility": [{"comment": service.eligibility}] if service.eligibility else [],
            "program": [{"text": "Social prescribing"}],
            "communication": [
                {"coding": [{"system": codes.BCP47, "code": "cy", "display": "Welsh"}]}
            ]
            if service.welsh_offered
            else [],  # fmt: skip
            "referralMethod": [{"text": str(service.get_access_route_display())}],
            "availabilityExceptions": service.cost_description,
        }
    )


def organization(provider: Provider) -> dict[str, Any]:
    identifiers = []
    if provider.charity_number:
        identifiers.append({"system": codes.own("Id", "charity-number"),
                            "value": provider.charity_number})  # fmt: skip
    return _clean(
        {
            "resourceType": "Organization",
            "id": str(provider.uuid),
            "meta": _meta(provider.updated_at),
            "identifier": identifiers,
            "active": True,
            "name": provider.name,
            "alias": [provider.name_cy] if provider.name_cy else [],
            "telecom": _telecom(provider.phone, provider.email, provider.website),
        }
    )


def location(place: Location) -> dict[str, Any]:
    address = {
        "line": [line for line in (place.address_1, place.address_2) if line],
        "city": place.city,
        "postalCode": place.postcode,
        "country": "GB",
    }
    position = None
    if place.latitude is not None and place.longitude is not None:
        position = {"latitude": float(place.latitude), "longitude": float(place.longitude)}
    return _clean(
        {
            "resourceType": "Location",
            "id": str(place.uuid),
            "meta": _meta(place.updated_at),
            "status": "active",
            "name": place.name,
            "alias": [place.name_cy] if place.name_cy else [],
            "mode": "instance",
            "address": address,
            "position": position,
            "managingOrganization": {
                "reference": f"Organization/{place.provider.uuid}",
                "display": place.provider.name,
            }
            if place.provider
            else None,  # fmt: skip
        }
    )
