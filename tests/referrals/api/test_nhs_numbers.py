"""Afon's GP system sends NHS numbers in other scripts' digits, and impossible ones (finding 5)."""

import pytest

from referrals.models import Person, PossibleDuplicate, Referral

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"


def _with_number(body, number, **person):
    return {**body, "person": {**body["person"], "nhs_number": number, **person}}


@pytest.mark.parametrize("typed", ["９４３４７６５９１９", "٩٤٣٤٧٦٥٩١٩", "۹۴۳ ۴۷۶ ۵۹۱۹"])
def test_other_scripts_digits_are_stored_as_ascii_and_matched(afon_emis, referral_body, typed):
    afon_emis.post(URL, referral_body)
    response = afon_emis.post(URL, _with_number(referral_body, typed))
    assert response.status_code == 201, response.content
    assert Person.objects.get().nhs_number == "9434765919"
    assert Referral.objects.count() == 2
    afon_emis.post(URL, _with_number(referral_body, typed, date_of_birth="1948-02-03"))
    assert PossibleDuplicate.objects.get().person.nhs_number == "9434765919"


@pytest.mark.parametrize(
    "typed", ["0000000000", "1111111111", "5000000005", "００００００００００"]
)
def test_numbers_that_cannot_be_real_are_refused_naming_the_field(afon_emis, referral_body, typed):
    response = afon_emis.post(URL, _with_number(referral_body, typed))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    params = response.json()["invalid_params"]
    assert [param["name"] for param in params] == ["person.nhs_number"]
    assert "This cannot be a real NHS number" in params[0]["reason"]
    assert not Referral.objects.exists() and not Person.objects.exists()
