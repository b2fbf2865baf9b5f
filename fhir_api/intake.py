"""A ServiceRequest posted by a partner, read into the details `referral_create` takes.

The person comes as a Patient contained in the request (`subject` refers to
it, `#patient`), or is `Patient/<id>` of a Patient the client has from an
earlier referral; their agreement as a contained Consent, status active, that
`supportingInfo` refers to. Reasons come from `category` and `reasonCode`
(our codes, or the Gravity guide's SDOH categories); what matters to the
person from `note` (else the requested service's text); the referrer from
`requester` (its display, or a contained Practitioner or PractitionerRole).

Nothing here trusts a type: every value is checked for its shape, and a
mistake is a ValidationError naming the FHIR path, never a 500. Whether the
details make a referral (consent, reasons, postcode...) is the service's
decision, whose field names views map back to FHIR paths (FIELD_PATHS).
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from core.exceptions import ValidationError
from referrals.models import EthnicGroup, GPFeedback, Language, Reason

from . import codes

# Where each field the referral service names sits in a ServiceRequest.
FIELD_PATHS = {
    "given_name": "ServiceRequest.contained.Patient.name.given",
    "family_name": "ServiceRequest.contained.Patient.name.family",
    "preferred_name": "ServiceRequest.contained.Patient.name.given",
    "date_of_birth": "ServiceRequest.contained.Patient.birthDate",
    "nhs_number": "ServiceRequest.contained.Patient.identifier",
    "gender": "ServiceRequest.contained.Patient.gender",
    "ethnic_group": "ServiceRequest.contained.Patient.extension",
    "address": "ServiceRequest.contained.Patient.address.line",
    "postcode": "ServiceRequest.contained.Patient.address.postalCode",
    "phone": "ServiceRequest.contained.Patient.telecom",
    "email": "ServiceRequest.contained.Patient.telecom",
    "preferred_language": "ServiceRequest.contained.Patient.communication",
    "reasons": "ServiceRequest.category",
    "reason_other": "ServiceRequest.category.text",
    "what_matters": "ServiceRequest.note.text",
    "urgency": "ServiceRequest.priority",
    "consent_to_referral": "ServiceRequest.supportingInfo",
    "consent_to_share": "ServiceRequest.supportingInfo",
    "gp_feedback": "ServiceRequest.extension",
    "risk_flag": "ServiceRequest.extension",
    "risk_details": "ServiceRequest.extension",
    "referrer_name": "ServiceRequest.requester",
    "referrer_role": "ServiceRequest.requester",
    "referrer_phone": "ServiceRequest.requester",
    "referrer_email": "ServiceRequest.requester",
}
TEXT_MAX = 2000
WELSH = {"cy", "cy-gb"}
ENGLISH = {"en", "en-gb"}


class Reader:
    """Collects every mistake with its path, so the partner hears of all of them at once."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def obj(self, value, path: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(path, _("Expected a JSON object."))
            return {}
        return value

    def items(self, value, path: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, _("Expected a JSON array."))
            return []
        return value

    def objects(self, value, path: str) -> list[tuple[str, dict]]:
        found = []
        for index, item in enumerate(self.items(value, path)):
            item_path = f"{path}[{index}]"
            if isinstance(item, dict):
                found.append((item_path, item))
            else:
                self.fail(item_path, _("Expected a JSON object."))
        return found

    def text(self, value, path: str, *, limit: int = 200) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(path, _("Expected a string."))
            return ""
        if len(value) > limit:
            self.fail(path, _("Keep this to %(limit)s characters or fewer.") % {"limit": limit})
            return ""
        return value.strip()


def _codings(reader: Reader, concept: dict, path: str) -> list[tuple[str, str, str]]:
    found = []
    for coding_path, coding in reader.objects(concept.get("coding"), f"{path}.coding"):
        found.append(
            (
                reader.text(coding.get("system"), f"{coding_path}.system", limit=500),
                reader.text(coding.get("code"), f"{coding_path}.code", limit=200),
                reader.text(coding.get("display"), f"{coding_path}.display", limit=500),
            )
        )
    return found


def _contained(reader: Reader, resource: dict) -> dict[str, tuple[str, dict]]:
    """Contained resources by their local reference (`#id`)."""
    found = {}
    for path, item in reader.objects(resource.get("contained"), "ServiceRequest.contained"):
        local_id = reader.text(item.get("id"), f"{path}.id", limit=64)
        if local_id:
            found[f"#{local_id}"] = (path, item)
    return found


def _referenced(reader, contained, value, path: str, resource_type: str):
    reference = reader.obj(value, path)
    target = reader.text(reference.get("reference"), f"{path}.reference", limit=500)
    if not target:
        return None
    if target not in contained:
        reader.fail(
            f"{path}.reference",
            _("Refer to a %(type)s contained in the request, as “#id”.") % {"type": resource_type},
        )
        return None
    found_path, found = contained[target]
    if found.get("resourceType") != resource_type:
        reader.fail(
            f"{path}.reference", _("This must refer to a %(type)s.") % {"type": resource_type}
        )
        return None
    return found_path, found


def _person(reader: Reader, path: str, patient: dict) -> dict[str, Any]:
    person: dict[str, Any] = {}
    for name_path, name in reader.objects(patient.get("name"), f"{path}.name"):
        use = reader.text(name.get("use"), f"{name_path}.use", limit=20)
        given = [reader.text(g, f"{name_path}.given", limit=100)
                 for g in reader.items(name.get("given"), f"{name_path}.given")]  # fmt: skip
        given = [g for g in given if g]
        if use in ("usual", "nickname") and given:
            person.setdefault("preferred_name", given[0])
        elif "given_name" not in person:
            person["given_name"] = " ".join(given)
            person["family_name"] = reader.text(
                name.get("family"), f"{name_path}.family", limit=100
            )
    born = reader.text(patient.get("birthDate"), f"{path}.birthDate", limit=10)
    if born:
        try:
            person["date_of_birth"] = date.fromisoformat(born)
        except ValueError:
            reader.fail(f"{path}.birthDate", _("Give the date of birth as YYYY-MM-DD."))
    for ident_path, ident in reader.objects(patient.get("identifier"), f"{path}.identifier"):
        system = reader.text(ident.get("system"), f"{ident_path}.system", limit=500)
        value = reader.text(ident.get("value"), f"{ident_path}.value", limit=20)
        if system == codes.NHS_NUMBER_SYSTEM and value:
            person["nhs_number"] = value
    gender = reader.text(patient.get("gender"), f"{path}.gender", limit=20)
    if gender:
        if gender in codes.GENDER_FOR_FHIR:
            person["gender"] = codes.GENDER_FOR_FHIR[gender]
        else:
            reader.fail(f"{path}.gender", _("Use male, female, other or unknown."))
    addresses = reader.objects(patient.get("address"), f"{path}.address")
    if addresses:
        address_path, address = addresses[0]
        lines = [reader.text(line, f"{address_path}.line", limit=300)
                 for line in reader.items(address.get("line"), f"{address_path}.line")]  # fmt: skip
        city = reader.text(address.get("city"), f"{address_path}.city", limit=100)
        person["address"] = ", ".join(part for part in [*lines, city] if part)
        person["postcode"] = reader.text(
            address.get("postalCode"), f"{address_path}.postalCode", limit=10
        )
    for telecom_path, telecom in reader.objects(patient.get("telecom"), f"{path}.telecom"):
        system = reader.text(telecom.get("system"), f"{telecom_path}.system", limit=20)
        value = reader.text(telecom.get("value"), f"{telecom_path}.value", limit=254)
        if system in ("phone", "sms") and value:
            person.setdefault("phone", value)
        elif system == "email" and value:
            person.setdefault("email", value)
    for comm_path, comm in reader.objects(patient.get("communication"), f"{path}.communication"):
        language = reader.obj(comm.get("language"), f"{comm_path}.language")
        for _system, code, _display in _codings(reader, language, f"{comm_path}.language"):
            if code.lower() in WELSH:
                person.setdefault("preferred_language", Language.WELSH)
            elif code.lower() in ENGLISH:
                person.setdefault("preferred_language", Language.ENGLISH)
    for ext_path, ext in reader.objects(patient.get("extension"), f"{path}.extension"):
        if ext.get("url") == codes.UK_CORE_ETHNIC_EXTENSION:
            concept = reader.obj(
                ext.get("valueCodeableConcept"), f"{ext_path}.valueCodeableConcept"
            )
            for _system, code, _display in _codings(reader, concept, ext_path):
                if code in EthnicGroup.values:
                    person["ethnic_group"] = code
    return person


def _reasons(reader: Reader, resource: dict) -> tuple[list[str], str]:
    reasons: list[str] = []
    other: list[str] = []
    for field in ("category", "reasonCode"):
        for path, concept in reader.objects(resource.get(field), f"ServiceRequest.{field}"):
            text = reader.text(concept.get("text"), f"{path}.text", limit=200)
            found = None
            for index, (system, code, display) in enumerate(_codings(reader, concept, path)):
                if system == codes.reason_system() and code not in Reason.values:
                    reader.fail(
                        f"{path}.coding[{index}].code",
                        _("Unknown reason code: %(codes)s.") % {"codes": code},
                    )
                elif system == codes.reason_system():
                    found = code
                elif system == codes.SDOHCC_CODES and code in codes.REASON_FOR_SDOHCC:
                    found = codes.REASON_FOR_SDOHCC[code]
                elif found is None and (display or text):
                    other.append(text or display)
                if found:
                    break
            if found is None and text and text not in other:
                other.append(text)
            if found is not None:
                reasons.append(found)
                if found == Reason.OTHER and text:
                    other.append(text)
            elif concept:
                reasons.append(Reason.OTHER)
    return list(dict.fromkeys(reasons)), "; ".join(dict.fromkeys(other))[:200]


def _what_matters(reader: Reader, resource: dict) -> str:
    notes = [
        reader.text(note.get("text"), f"{path}.text", limit=TEXT_MAX)
        for path, note in reader.objects(resource.get("note"), "ServiceRequest.note")
    ]
    said = "\n\n".join(note for note in notes if note)
    if said:
        return said
    code = reader.obj(resource.get("code"), "ServiceRequest.code")
    text = reader.text(code.get("text"), "ServiceRequest.code.text", limit=TEXT_MAX)
    if text:
        return text
    displays = [display for _s, _c, display in _codings(reader, code, "ServiceRequest.code")]
    return next((d for d in displays if d), "")


def _consented(reader: Reader, resource: dict, contained) -> bool:
    for path, info in reader.objects(
        resource.get("supportingInfo"), "ServiceRequest.supportingInfo"
    ):
        target = info.get("reference")
        if not (isinstance(target, str) and target.startswith("#")):
            continue
        found = _referenced(reader, contained, info, path, "Consent")
        if found is None:
            continue
        consent_path, consent = found
        status = reader.text(consent.get("status"), f"{consent_path}.status", limit=20)
        provision = reader.obj(consent.get("provision"), f"{consent_path}.provision")
        if status == "active" and provision.get("type", "permit") == "permit":
            return True
    return False


def _referrer(reader: Reader, resource: dict, contained) -> dict[str, str]:
    requester = reader.obj(resource.get("requester"), "ServiceRequest.requester")
    referrer = {
        "referrer_name": reader.text(requester.get("display"), "ServiceRequest.requester.display")
    }
    target = requester.get("reference")
    if isinstance(target, str) and target.startswith("#") and target in contained:
        path, found = contained[target]
        if found.get("resourceType") == "PractitionerRole":
            roles = reader.objects(found.get("code"), f"{path}.code")
            for role_path, role in roles[:1]:
                referrer["referrer_role"] = reader.text(
                    role.get("text"), f"{role_path}.text", limit=100
                )
            practitioner = reader.obj(found.get("practitioner"), f"{path}.practitioner")
            if not referrer["referrer_name"]:
                referrer["referrer_name"] = reader.text(
                    practitioner.get("display"), f"{path}.practitioner.display"
                )
            inner = practitioner.get("reference")
            if isinstance(inner, str) and inner in contained:
                path, found = contained[inner]
        if found.get("resourceType") in ("Practitioner", "PractitionerRole"):
            for name_path, name in reader.objects(found.get("name"), f"{path}.name")[:1]:
                text = reader.text(name.get("text"), f"{name_path}.text")
                given = [g for g in reader.items(name.get("given"), f"{name_path}.given")
                         if isinstance(g, str)]  # fmt: skip
                family = reader.text(name.get("family"), f"{name_path}.family")
                prefix = [p for p in reader.items(name.get("prefix"), f"{name_path}.prefix")
                          if isinstance(p, str)]  # fmt: skip
                built = text or " ".join([*prefix, *given, family]).strip()
                referrer["referrer_name"] = referrer["referrer_name"] or built[:200]
            for tel_path, tel in reader.objects(found.get("telecom"), f"{path}.telecom"):
                system = reader.text(tel.get("system"), f"{tel_path}.system", limit=20)
                value = reader.text(tel.get("value"), f"{tel_path}.value", limit=254)
                if system == "phone" and value:
                    referrer.setdefault("referrer_phone", value[:30])
                elif system == "email" and value:
                    referrer.setdefault("referrer_email", value)
    return referrer


def _extensions(reader: Reader, resource: dict) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path, ext in reader.objects(resource.get("extension"), "ServiceRequest.extension"):
        url = ext.get("url")
        if url == codes.gp_feedback_extension():
            value = reader.text(ext.get("valueCode"), f"{path}.valueCode", limit=20)
            if value not in GPFeedback.values:
                reader.fail(f"{path}.valueCode", _("Use everything or coded_only."))
            else:
                found["gp_feedback"] = value
        elif url == codes.risk_extension():
            details = reader.text(ext.get("valueString"), f"{path}.valueString", limit=TEXT_MAX)
            found["risk_flag"] = True
            found["risk_details"] = details
    return found


def request_identifier(reader: Reader, resource: dict) -> tuple[str, str] | None:
    """The first identifier with both a system and a value, as a retry would send it again."""
    for path, ident in reader.objects(resource.get("identifier"), "ServiceRequest.identifier"):
        system = reader.text(ident.get("system"), f"{path}.system", limit=200)
        value = reader.text(ident.get("value"), f"{path}.value", limit=200)
        if system and value:
            return system, value
    return None


def read_service_request(
    body, *, known_patient: Callable[[str], dict | None] | None = None
) -> tuple[dict, dict, tuple[str, str] | None]:
    """(person details, referral details, the request's identifier) from a posted resource.

    `known_patient(id)` gives the person details behind a Patient id the client may
    see (a repeat referral), or None for any other id, unknown or not theirs alike.
    """
    reader = Reader()
    if not isinstance(body, dict):
        raise ValidationError(
            _("Send a ServiceRequest resource."),
            field_errors={"ServiceRequest": [_("Expected a JSON object.")]},
        )
    if body.get("resourceType") != "ServiceRequest":
        raise ValidationError(
            _("Send a ServiceRequest resource."),
            field_errors={"resourceType": [_("This must be ServiceRequest.")]},
        )
    for field, allowed in (
        ("status", ("active",)),
        ("intent", ("order", "original-order", "proposal", "plan")),
    ):
        value = reader.text(body.get(field), f"ServiceRequest.{field}", limit=30)
        if value not in allowed:
            reader.fail(
                f"ServiceRequest.{field}",
                _("Use one of: %(codes)s.") % {"codes": ", ".join(allowed)},
            )
    contained = _contained(reader, body)
    person: dict[str, Any] = {}
    subject = reader.obj(body.get("subject"), "ServiceRequest.subject")
    target = subject.get("reference")
    if isinstance(target, str) and target.startswith("Patient/") and known_patient is not None:
        # A Patient this server gave the client before: the person as they referred them then.
        found = known_patient(target.removeprefix("Patient/"))
        if found is None:
            reader.fail(
                "ServiceRequest.subject.reference",
                _("No Patient with this id among your organisation's referrals."),
            )
        else:
            person = found
    else:
        inline = _referenced(
            reader, contained, subject or None, "ServiceRequest.subject", "Patient"
        )
        if inline is None and not any(
            k.startswith("ServiceRequest.subject") for k in reader.errors
        ):
            reader.fail(
                "ServiceRequest.subject",
                _("Contain the Patient in the request and refer to it as “#id”."),
            )
        elif inline is not None:
            person = _person(reader, *inline)
    reasons, reason_other = _reasons(reader, body)
    consented = _consented(reader, body, contained)
    referral: dict[str, Any] = {
        "reasons": reasons,
        "reason_other": reason_other,
        "what_matters": _what_matters(reader, body),
        "consent_to_referral": consented,
        "consent_to_share": consented,
        **_referrer(reader, body, contained),
        **_extensions(reader, body),
    }
    priority = reader.text(body.get("priority"), "ServiceRequest.priority", limit=20)
    if priority:
        if priority in codes.URGENCY_FOR_PRIORITY:
            referral["urgency"] = codes.URGENCY_FOR_PRIORITY[priority]
        else:
            reader.fail("ServiceRequest.priority", _("Use routine, urgent, asap or stat."))
    identifier = request_identifier(reader, body)
    if reader.errors:
        raise ValidationError(_("Please correct the request."), field_errors=reader.errors)
    return person, referral, identifier
