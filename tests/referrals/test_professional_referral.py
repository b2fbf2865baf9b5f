"""Rhian refers Glenys from the GP practice's browser form."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from referrals.models import Person, PossibleDuplicate, Referral, ReferralEvent

pytestmark = pytest.mark.django_db

URL = reverse("referrals:new")


@pytest.fixture
def form_data():
    return {
        "given_name": "Glenys",
        "family_name": "Pritchard",
        "date_of_birth": "1948-03-02",
        "nhs_number": "943 476 5919",
        "gender": "female",
        "ethnic_group": "A",
        "address": "3 Heol y Bryn",
        "postcode": "cf10 1aa",
        "phone": "07700 900123",
        "contact_method": "phone",
        "preferred_language": "cy",
        "reasons": ["loneliness", "bereavement"],
        "what_matters": "Since her husband died she rarely goes out; she used to sing.",
        "urgency": "routine",
        "consent_to_referral": "on",
        "consent_to_share": "on",
        "gp_feedback": "coded_only",
        "referrer_role": "Receptionist",
    }


def test_it_shows_the_form(client, gp_receptionist, scheme):
    client.force_login(gp_receptionist)
    response = client.get(URL)
    assert response.status_code == 200
    assert b'name="consent_to_referral"' in response.content


def test_it_records_the_referral_and_shows_the_reference(
    client, gp_receptionist, scheme, form_data
):
    client.force_login(gp_receptionist)
    response = client.post(URL, form_data, follow=True)
    referral = Referral.objects.get()
    assert response.redirect_chain[-1][0] == reverse("referrals:submitted", args=[referral.uuid])
    assert referral.reference in response.content.decode()
    assert "What happens next" in response.content.decode()
    assert referral.reference.startswith("SP-") and len(referral.reference) == 10
    assert (referral.status, referral.scheme, referral.source_kind) == ("received", scheme, "gp")
    assert referral.referring_organisation == gp_receptionist.organisation
    assert referral.reasons == ["loneliness", "bereavement"]
    assert referral.gp_feedback == "coded_only"
    person = referral.person
    assert (person.nhs_number, person.postcode) == ("9434765919", "CF10 1AA")
    assert person.consent_recorded_by == gp_receptionist
    assert ReferralEvent.objects.get().kind == "created"
    assert AuditEvent.objects.filter(action="create", object_id=str(referral.uuid)).exists()


def test_the_same_details_without_the_nhs_number_go_to_the_coordinator_not_linked(
    client, gp_receptionist, scheme, form_data
):
    client.force_login(gp_receptionist)
    client.post(URL, form_data)
    again = {**form_data, "nhs_number": ""}
    response = client.post(URL, again, follow=True)
    assert Person.objects.count() == 2
    assert Referral.objects.count() == 2
    assert PossibleDuplicate.objects.get().existing == Referral.objects.earliest("pk").person
    assert "already known" not in response.content.decode()


def test_the_same_nhs_number_and_date_of_birth_link_to_the_person(
    client, gp_receptionist, scheme, form_data
):
    client.force_login(gp_receptionist)
    client.post(URL, form_data)
    client.post(URL, {**form_data, "family_name": "Pritchard-Jones", "postcode": "CF11 9AA"})
    assert Person.objects.count() == 1
    assert not PossibleDuplicate.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nhs_number", "943 476 5918", "Enter a valid 10-digit NHS number"),
        ("postcode", "CF10 1A", "Enter a UK postcode"),
        ("consent_to_referral", "", "This field is required."),
        ("consent_to_share", "", "This field is required."),
        ("reasons", ["loneliness", "astrology"], "Select a valid choice. astrology"),
        ("what_matters", "x" * 2001, "at most 2000 characters"),
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(
    client, gp_receptionist, scheme, form_data, field, value, message
):
    client.force_login(gp_receptionist)
    data = {**form_data, field: value}
    if value == "":
        del data[field]
    response = client.post(URL, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert not Referral.objects.exists() and not Person.objects.exists()


def test_the_service_refuses_bad_input_from_any_front_end(gp_receptionist, scheme):
    from core.exceptions import ValidationError
    from referrals.services import referral_create

    with pytest.raises(ValidationError) as error:
        referral_create(
            actor=gp_receptionist,
            person_details={"given_name": "A", "family_name": "B", "date_of_birth": None,
                            "postcode": "nowhere", "nhs_number": "123"},
            referral_details={"reasons": ["nope"], "what_matters": "",
                              "consent_to_referral": False, "consent_to_share": True},
        )  # fmt: skip
    assert {"postcode", "nhs_number", "reasons", "what_matters", "consent_to_referral",
            "date_of_birth"} <= set(error.value.field_errors)  # fmt: skip
    assert not Referral.objects.exists()


def test_a_risk_flag_needs_details(client, gp_receptionist, scheme, form_data):
    client.force_login(gp_receptionist)
    response = client.post(URL, {**form_data, "risk_flag": "on"})
    assert "risk_details" in response.context["form"].errors
    assert not Referral.objects.exists()


@pytest.mark.parametrize("role", ["coordinator", "link_worker", "provider", "commissioner"])
def test_only_referrers_may_refer(client, scheme, role):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role=role))
    assert client.get(URL).status_code == 403


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response.url
