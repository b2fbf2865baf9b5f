"""The code systems and identifiers the FHIR facade speaks, and how our codes map onto them.

UK identifiers come from NHS England's FHIR namespace; the referral's own
codes (reasons, statuses, closure reasons) are this deployment's code systems,
under SITE_URL/fhir/CodeSystem/. Task statuses follow the closed-loop referral
pattern of the HL7 Gravity SDOH Clinical Care guide.
"""

from django.conf import settings

from referrals.models import (
    ClosureReason,
    Gender,
    Reason,
    RejectionReason,
    Status,
    Urgency,
)

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
SNOMED = "http://snomed.info/sct"
BCP47 = "urn:ietf:bcp:47"
UK_CORE_ETHNIC_EXTENSION = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
)
UK_CORE_ETHNIC_SYSTEM = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"
SDOHCC_CODES = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
SDOHCC_SERVICE_REQUEST = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-ServiceRequest"
)
SDOHCC_TASK = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"
)

# Referral to social prescribing service (procedure), UK edition of SNOMED CT.
SOCIAL_PRESCRIBING_REFERRAL = ("871731000000106", "Referral to social prescribing service")


def own(kind: str, name: str) -> str:
    """This deployment's canonical URL for one of its code systems, identifiers or extensions."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir/{kind}/{name}"


def reason_system() -> str:
    return own("CodeSystem", "referral-reason")


def status_system() -> str:
    return own("CodeSystem", "referral-status")


def closure_system() -> str:
    return own("CodeSystem", "closure-reason")


def rejection_system() -> str:
    return own("CodeSystem", "rejection-reason")


def output_system() -> str:
    return own("CodeSystem", "task-output")


def reference_system() -> str:
    """The referral's SP- reference, as an identifier."""
    return own("Id", "referral-reference")


def organisation_system() -> str:
    """An organisation without an ODS code is named by its id here."""
    return own("Id", "organisation")


def gp_feedback_extension() -> str:
    return own("StructureDefinition", "gp-feedback")


def risk_extension() -> str:
    return own("StructureDefinition", "risk")


# The referral's status as a Task status (Gravity's closed loop). Allocated is still
# "accepted" (a link worker holds it; the businessStatus says so) until first contact.
TASK_STATUS: dict[str, str] = {
    Status.RECEIVED: "requested",
    Status.ACCEPTED: "accepted",
    Status.REJECTED: "rejected",
    Status.ALLOCATED: "accepted",
    Status.IN_PROGRESS: "in-progress",
    Status.ON_HOLD: "on-hold",
    Status.CLOSED: "completed",
    Status.CANCELLED: "cancelled",
}
# Every Task status R4 knows; those we never use find nothing in a search.
TASK_STATUSES = (
    "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
    "in-progress", "on-hold", "failed", "completed", "entered-in-error",
)  # fmt: skip

SERVICE_REQUEST_STATUS: dict[str, str] = {
    Status.RECEIVED: "active",
    Status.ACCEPTED: "active",
    Status.ALLOCATED: "active",
    Status.IN_PROGRESS: "active",
    Status.ON_HOLD: "active",
    Status.REJECTED: "revoked",
    Status.CANCELLED: "revoked",
    Status.CLOSED: "completed",
}
SERVICE_REQUEST_STATUSES = (
    "draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown",
)  # fmt: skip


def statuses_for_task(codes: list[str]) -> list[str]:
    return [ours for ours, theirs in TASK_STATUS.items() if theirs in codes]


def statuses_for_service_request(codes: list[str]) -> list[str]:
    return [ours for ours, theirs in SERVICE_REQUEST_STATUS.items() if theirs in codes]


PRIORITY: dict[str, str] = {Urgency.ROUTINE: "routine", Urgency.URGENT: "urgent"}
URGENCY_FOR_PRIORITY: dict[str, str] = {
    "routine": Urgency.ROUTINE, "urgent": Urgency.URGENT, "asap": Urgency.URGENT,
    "stat": Urgency.URGENT,
}  # fmt: skip

GENDER: dict[str, str] = {
    Gender.FEMALE: "female", Gender.MALE: "male", Gender.OTHER: "other",
    Gender.NOT_KNOWN: "unknown", Gender.NOT_STATED: "unknown",
}  # fmt: skip
GENDER_FOR_FHIR: dict[str, str] = {
    "female": Gender.FEMALE, "male": Gender.MALE, "other": Gender.OTHER,
    "unknown": Gender.NOT_KNOWN,
}  # fmt: skip

# The Gravity guide's SDOH categories that mean one of our reasons; any other code is "other".
REASON_FOR_SDOHCC: dict[str, str] = {
    "social-connection": Reason.LONELINESS,
    "stress": Reason.LOW_MOOD,
    "financial-insecurity": Reason.MONEY,
    "material-hardship": Reason.MONEY,
    "food-insecurity": Reason.MONEY,
    "utility-insecurity": Reason.MONEY,
    "medical-cost-burden": Reason.MONEY,
    "housing-instability": Reason.HOUSING,
    "homelessness": Reason.HOUSING,
    "inadequate-housing": Reason.HOUSING,
}

__all__ = ["ClosureReason", "RejectionReason"]
