"""NHS numbers as people really type them, and as an attacker types them (finding 5).

Rhian types Glenys's NHS number on a phone whose keyboard gives full-width
or Arabic-Indic digits; someone else tries 0000000000, which passes the
modulus 11 check and would become a match key shared by everyone it is
typed for. One normaliser (referrals.validators.normalise_nhs_number) turns
every script's digits into ASCII digits and refuses numbers no one is given.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.exceptions import ValidationError
from referrals import services
from referrals.models import Person, PossibleDuplicate, Referral
from referrals.validators import normalise_nhs_number

pytestmark = pytest.mark.django_db

FULL_WIDTH = "９４３４７６５９１９"
FULL_WIDTH_SPACED = "９４３　４７６　５９１９"  # ideographic spaces
ARABIC_INDIC = "٩٤٣٤٧٦٥٩١٩"
EXTENDED_ARABIC_INDIC = "۹۴۳-۴۷۶-۵۹۱۹"
DEVANAGARI = "९४३ ४७६ ५९१९"
IMPOSSIBLE = "This cannot be a real NHS number"


@pytest.fixture
def form_data():
    return {
        "given_name": "Glenys", "family_name": "Pritchard", "date_of_birth": "1948-03-02",
        "nhs_number": "943 476 5919", "gender": "female", "ethnic_group": "A",
        "postcode": "CF10 1AA", "phone": "07700 900123", "contact_method": "phone",
        "preferred_language": "en", "reasons": ["loneliness"],
        "what_matters": "Would like to sing again.", "urgency": "routine",
        "consent_to_referral": "on", "consent_to_share": "on", "gp_feedback": "everything",
    }  # fmt: skip


@pytest.mark.parametrize(
    "typed", [FULL_WIDTH, FULL_WIDTH_SPACED, ARABIC_INDIC, EXTENDED_ARABIC_INDIC, DEVANAGARI,
              "943\u00a0476\u00a05919", "943\u2013476\u20135919"],
)  # fmt: skip
def test_other_scripts_digits_become_ascii(typed):
    assert normalise_nhs_number(typed) == "9434765919"


@pytest.mark.parametrize("typed", [FULL_WIDTH, ARABIC_INDIC])
def test_the_web_form_stores_ascii_digits(client, gp_receptionist, scheme, form_data, typed):
    client.force_login(gp_receptionist)
    response = client.post(reverse("referrals:new"), {**form_data, "nhs_number": typed})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.person.nhs_number == "9434765919"
    assert referral.person_as_referred.nhs_number == "9434765919"


@pytest.mark.parametrize("typed", [FULL_WIDTH, ARABIC_INDIC, DEVANAGARI])
def test_other_scripts_digits_never_bypass_matching(client, gp_receptionist, scheme, form_data,
                                                    typed):  # fmt: skip
    client.force_login(gp_receptionist)
    client.post(reverse("referrals:new"), form_data)
    client.post(reverse("referrals:new"), {**form_data, "nhs_number": typed})
    assert Person.objects.count() == 1  # the same number and birth: linked
    client.post(
        reverse("referrals:new"),
        {**form_data, "nhs_number": typed, "date_of_birth": "1948-02-03"},
    )
    pair = PossibleDuplicate.objects.get()
    assert pair.reason == "nhs_number" and pair.person.nhs_number == "9434765919"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0000000000", IMPOSSIBLE),
        ("000 000 0000", IMPOSSIBLE),
        ("０００００００００００"[:10], IMPOSSIBLE),
        ("1111111111", IMPOSSIBLE),  # check digit right, a valid CHI date: still all one digit
        ("5000000005", IMPOSSIBLE),  # the reserved block: never issued
        ("0000000108", IMPOSSIBLE),  # unallocated
        ("943 476 5918", "Enter a valid 10-digit NHS number"),
        ("²⁴³⁴⁷⁶⁵⁹¹⁹", "Enter a valid 10-digit NHS number"),  # superscripts are not digits here
        ("①②③④⑤⑥⑦⑧⑨⑩", "Enter a valid 10-digit NHS number"),
        ("943 476 591９x", "Enter a valid 10-digit NHS number"),
    ],
)
def test_the_form_refuses_numbers_that_cannot_be_real(
    client, gp_receptionist, scheme, form_data, typed, message
):
    client.force_login(gp_receptionist)
    response = client.post(reverse("referrals:new"), {**form_data, "nhs_number": typed})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["nhs_number"]
    assert message in errors["nhs_number"][0]
    assert not Referral.objects.exists() and not Person.objects.exists()


def test_the_service_refuses_them_from_any_front_end_or_import(gp_receptionist, scheme):
    with pytest.raises(ValidationError) as error:
        services.referral_create(
            actor=gp_receptionist,
            person_details={"given_name": "A", "family_name": "B", "postcode": "CF10 1AA",
                            "date_of_birth": date(1950, 1, 1), "nhs_number": "0000000000"},
            referral_details={"reasons": ["loneliness"], "what_matters": "x",
                              "consent_to_referral": True, "consent_to_share": True},
        )  # fmt: skip
    assert IMPOSSIBLE in error.value.field_errors["nhs_number"][0]
    assert not Person.objects.exists()


def test_a_live_service_refuses_the_synthetic_test_range(settings):
    settings.NHS_NUMBER_ACCEPT_TEST_RANGE = False
    with pytest.raises(DjangoValidationError, match="cannot be a real NHS number"):
        normalise_nhs_number("943 476 5919")
    # England and Wales's range is accepted (a made-up number with a right check digit).
    assert normalise_nhs_number("400 000 0004") == "4000000004"


def test_the_database_keeps_other_scripts_digits_out(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(
            given_name="Glenys", family_name="Pritchard", date_of_birth=date(1948, 3, 2),
            postcode="CF10 1AA", nhs_number=FULL_WIDTH,
        )  # fmt: skip
