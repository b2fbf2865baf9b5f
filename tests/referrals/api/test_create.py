"""Afon Surgery's GP system refers Glenys through the partner API."""

import copy
import json

import pytest
import yaml

from accounts.models import AuditEvent
from referrals.api.examples import REFERRAL_REQUEST
from referrals.models import Person, Referral, ReferralEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"


def test_it_makes_a_referral(afon_emis, referral_body, scheme, practice):
    response = afon_emis.post(URL, referral_body)
    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    body = response.json()
    assert body["id"] == str(referral.uuid)
    assert body["reference"] == referral.reference and referral.reference.startswith("SP-")
    assert body["status"] == "received"
    assert "person_already_known" not in body
    assert response["Location"] == f"http://testserver/api/v1/referrals/{referral.uuid}/"
    assert (referral.source_kind, referral.scheme, referral.referring_organisation) == (
        "gp", scheme, practice
    )  # fmt: skip
    assert referral.referring_user is None
    assert (referral.referrer_name, referral.referrer_role) == ("Dr Ffion Hughes", "GP")
    assert referral.reasons == ["loneliness", "bereavement"]
    assert referral.gp_feedback == "coded_only"
    assert (referral.person.nhs_number, referral.person.postcode) == ("9434765919", "CF10 1AA")
    assert ReferralEvent.objects.get().kind == "created"


def test_it_writes_the_audit_row_naming_the_client(afon_emis, referral_body):
    afon_emis.post(URL, referral_body)
    event = AuditEvent.objects.get(action="create", object_type="referrals.referral")
    assert event.api_client == afon_emis.api_client
    assert event.actor is None
    assert event.object_id == str(Referral.objects.get().uuid)


def test_the_source_kind_follows_the_organisation(afon_emis, referral_body, practice):
    practice.kind = "housing"
    practice.save()
    afon_emis.post(URL, referral_body)
    assert Referral.objects.get().source_kind == "housing"


def test_a_known_person_is_linked_and_the_partner_told_nothing_of_it(afon_emis, referral_body):
    first = afon_emis.post(URL, referral_body).json()
    response = afon_emis.post(URL, referral_body)
    assert response.status_code == 201
    assert set(response.json()) == set(first)
    assert "person_already_known" not in response.json()
    assert Person.objects.count() == 1 and Referral.objects.count() == 2


def test_the_documented_example_succeeds_as_it_stands(afon_emis):
    """A partner who copies the example from /api/schema/ gets 201 at the first try."""
    schema = yaml.safe_load(afon_emis.client.get("/api/schema/").content)
    post = schema["paths"]["/api/v1/referrals/"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    documented = next(iter(examples.values()))["value"]
    assert documented == REFERRAL_REQUEST
    response = afon_emis.post(URL, documented)
    assert response.status_code == 201, response.content
    assert Referral.objects.get().person.nhs_number == "9990000018"


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_it_rejects_other_methods(afon_emis, method):
    response = getattr(afon_emis.client, method)(URL, **afon_emis.headers())
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405
    assert response["Allow"] == "GET, POST, HEAD"


def _without(body, path):
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[key]
    del target[last]
    return body


def _with(body, path, value):
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[key]
    target[last] = value
    return body


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (("person.nhs_number", "943 476 5918"), "person.nhs_number",
         "Enter a valid 10-digit NHS number"),
        (("person.postcode", "CF10 1A"), "person.postcode", "Enter a UK postcode"),
        (("person.date_of_birth", "2999-01-01"), "person.date_of_birth",
         "cannot be in the future"),
        (("person.date_of_birth", "2.3.48"), "person.date_of_birth", "Date has wrong format"),
        (("person.gender", "dragon"), "person.gender", "is not a valid choice"),
        (("consent_to_referral", False), "consent_to_referral",
         "The person must agree to this before the referral can be made."),
        (("consent_to_share", False), "consent_to_share",
         "The person must agree to this before the referral can be made."),
        (("reasons", ["loneliness", "astrology"]), "reasons", '"astrology" is not a valid choice.'),
        (("reasons", []), "reasons", "This selection may not be empty."),
        (("what_matters", "x" * 2001), "what_matters",
         "Ensure this field has no more than 2000 characters."),
        (("risk_flag", True), "risk_details", "Describe the safeguarding or risk concern."),
        (("referrer.name", ""), "referrer.name", "This field may not be blank."),
        (("urgency", "yesterday"), "urgency", "is not a valid choice"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_creates_nothing(
    afon_emis, referral_body, change, field, reason
):
    response = afon_emis.post(URL, _with(referral_body, *change))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] == "The request has errors"
    assert [param["name"] for param in problem["invalid_params"]] == [field]
    assert reason in problem["invalid_params"][0]["reason"]
    assert field in problem["detail"]
    assert not Referral.objects.exists() and not Person.objects.exists()


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ("consent_to_referral", "consent_to_referral"),
        ("person.given_name", "person.given_name"),
        ("person.postcode", "person.postcode"),
        ("referrer", "referrer"),
        ("what_matters", "what_matters"),
    ],
)
def test_a_missing_field_is_named(afon_emis, referral_body, missing, field):
    response = afon_emis.post(URL, _without(referral_body, missing))
    assert response.status_code == 400
    params = response.json()["invalid_params"]
    assert params == [{"name": field, "reason": "This field is required."}]
    assert not Referral.objects.exists()


def test_every_mistake_is_named_at_once(afon_emis, referral_body):
    body = _with(referral_body, "person.nhs_number", "123")
    body = _with(body, "person.postcode", "nowhere")
    body = _with(body, "reasons", ["astrology"])
    response = afon_emis.post(URL, body)
    names = {param["name"] for param in response.json()["invalid_params"]}
    assert names == {"person.nhs_number", "person.postcode", "reasons"}


def test_malformed_json_is_a_problem_not_a_crash(afon_emis):
    response = afon_emis.post(URL, '{"person": {"given_name": "Glenys",')
    assert response.status_code == 400
    problem = response.json()
    assert problem["invalid_params"][0]["name"] == "body"
    assert "JSON parse error" in problem["detail"]
    assert not Referral.objects.exists()


def test_a_body_that_is_not_an_object_is_refused(afon_emis):
    response = afon_emis.post(URL, "[1, 2]")
    assert response.status_code == 400
    assert response.json()["invalid_params"][0]["name"] == "body"


def test_a_form_encoded_body_is_refused(afon_emis, referral_body):
    response = afon_emis.client.post(
        URL, {"what_matters": "x"}, **afon_emis.headers()
    )  # multipart, not JSON
    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"
    assert not Referral.objects.exists()


def test_a_problem_is_in_welsh_when_asked(afon_emis, referral_body):
    response = afon_emis.post(
        URL, _with(referral_body, "consent_to_share", False), HTTP_ACCEPT_LANGUAGE="cy"
    )
    assert response["Content-Language"] == "cy"
    problem = response.json()
    assert problem["title"] == "Mae gwallau yn y cais"
    assert problem["invalid_params"][0]["name"] == "consent_to_share"
    assert problem["invalid_params"][0]["reason"] == (
        "Rhaid i'r person gytuno i hyn cyn y gellir gwneud yr atgyfeiriad."
    )


def test_the_response_body_is_json(afon_emis, referral_body):
    response = afon_emis.post(URL, referral_body)
    assert response["Content-Type"] == "application/json"
    json.loads(response.content)


def test_no_scheme_for_the_organisations_area_is_a_problem(
    client, referral_body, scheme, outsider_coordinator
):
    """A practice far from any scheme, where more than one scheme exists: nowhere to send it."""
    from accounts.services import api_client_create
    from tests.factories import OrganisationFactory

    faraway = OrganisationFactory(name="Ynys Practice")
    _api_client, token = api_client_create(
        name="Ynys EMIS", organisation=faraway, scopes=["referrals:write"]
    )
    response = client.post(
        URL, referral_body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "No social prescribing scheme takes referrals for this area yet."
    )
    assert not Referral.objects.exists() and not Person.objects.exists()


@pytest.mark.parametrize(
    ("service_field", "api_field"),
    [
        ("postcode", "person.postcode"),
        ("nhs_number", "person.nhs_number"),
        ("referrer_name", "referrer.name"),
        ("risk_details", "risk_details"),
        ("consent_to_share", "consent_to_share"),
    ],
)
def test_service_errors_are_named_where_the_field_sits_in_the_body(service_field, api_field):
    from referrals.api.serializers import api_field_name

    assert api_field_name(service_field) == api_field


def test_the_service_asks_a_partner_system_who_referred(afon_emis, referral_body):
    from core.exceptions import ValidationError
    from referrals.services import referral_create

    person = {**referral_body["person"]}
    details = {
        key: value for key, value in referral_body.items() if key not in ("person", "referrer")
    }
    with pytest.raises(ValidationError) as error:
        referral_create(
            person_details=person, referral_details=details, api_client=afon_emis.api_client
        )
    assert error.value.field_errors == {
        "referrer_name": ["Give the name of the person making the referral."]
    }
    assert not Referral.objects.exists()
