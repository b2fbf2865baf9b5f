"""The FHIR stories: Afon Surgery's GP system refers Glenys through FHIR and follows her Task.

"Afon FHIR" holds fhir:write and fhir:read; "Afon Viewer" only fhir:read;
"Afon REST" only the partner API's scopes; "Bryn FHIR" is another practice's
system (the outsider). The people are the referral stories' (tests/referrals).
"""

import copy
import json
from pathlib import Path

import pytest
from django.core.cache import caches
from fhir.resources import construct_fhir_element

from accounts.models import ApiScope
from accounts.services import api_client_create
from fhir_api import codes
from tests.factories import OrganisationFactory
from tests.referrals import conftest as stories

# The referral stories' people and places (tests/referrals/conftest.py).
cluster, practice, scheme = stories.cluster, stories.practice, stories.scheme
coordinator, link_worker = stories.coordinator, stories.link_worker
fast_password_hashing = stories.fast_password_hashing

EXAMPLES = Path(__file__).parent / "examples"
FHIR = [ApiScope.FHIR_WRITE, ApiScope.FHIR_READ]
NHS = "https://fhir.nhs.uk/Id/nhs-number"
REQUEST_SYSTEM = "https://emis.afon-surgery.example/Id/referral"


def example(name):
    return json.loads((EXAMPLES / name).read_text())


def valid_r4(body):
    """The answer parses as its FHIR R4 resource (a Bundle's entries included), or fails."""
    assert isinstance(body, dict) and "resourceType" in body, body
    return construct_fhir_element(body["resourceType"], copy.deepcopy(body))


class FhirPartner:
    """A partner system calling /fhir/ with its Bearer token."""

    def __init__(self, client, api_client, token):
        self.client, self.api_client, self.token = client, api_client, token

    def headers(self, extra=None):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **(extra or {})}

    def get(self, path, data=None, **extra):
        return self.client.get(path, data, **self.headers(extra))

    def post(self, path, body, content_type="application/fhir+json", **extra):
        raw = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(path, raw, content_type=content_type, **self.headers(extra))


@pytest.fixture(autouse=True)
def empty_rate_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def _partner(client, organisation, name, scopes):
    api_client, token = api_client_create(name=name, organisation=organisation, scopes=scopes)
    return FhirPartner(client, api_client, token)


@pytest.fixture
def afon_fhir(client, practice, scheme):
    return _partner(client, practice, "Afon FHIR", FHIR)


@pytest.fixture
def afon_viewer(client, practice, scheme):
    return _partner(client, practice, "Afon Viewer", [ApiScope.FHIR_READ])


@pytest.fixture
def afon_rest(client, practice, scheme):
    return _partner(
        client, practice, "Afon REST", [ApiScope.REFERRALS_WRITE, ApiScope.REFERRALS_READ]
    )


@pytest.fixture
def bryn_fhir(client, scheme):
    bryn = OrganisationFactory(name="Bryn Medical Centre", ods_code="W90002", area=scheme.area)
    return _partner(client, bryn, "Bryn FHIR", FHIR)


def service_request(identifier="afon-0001", **changes):
    """Dr Ffion Hughes refers Glenys: a ServiceRequest with the Patient and Consent contained."""
    body = {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": REQUEST_SYSTEM, "value": identifier}],
        "contained": [
            {
                "resourceType": "Patient",
                "id": "patient",
                "identifier": [{"system": NHS, "value": "9434765919"}],
                "name": [{"use": "official", "family": "Pritchard", "given": ["Glenys"]}],
                "gender": "female",
                "birthDate": "1948-03-02",
                "address": [
                    {"line": ["1 Heol y Capel"], "city": "Cardiff", "postalCode": "CF10 1AA"}
                ],
                "telecom": [{"system": "phone", "value": "07700 900123"}],
                "communication": [
                    {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "cy"}]}}
                ],
            },
            {
                "resourceType": "Consent",
                "id": "consent",
                "status": "active",
                "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                      "code": "patient-privacy"}]},
                "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
                "patient": {"reference": "#patient"},
                "provision": {"type": "permit"},
            },
        ],
        "status": "active",
        "intent": "order",
        "category": [
            {"coding": [{"system": codes.reason_system(), "code": "loneliness"}]},
            {"coding": [{"system": codes.reason_system(), "code": "bereavement"}]},
        ],
        "priority": "routine",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "871731000000106"}]},
        "subject": {"reference": "#patient"},
        "requester": {"display": "Dr Ffion Hughes"},
        "supportingInfo": [{"reference": "#consent"}],
        "note": [{"text": "Since her husband died she rarely goes out; she used to sing."}],
    }  # fmt: skip
    body.update(changes)
    return body
