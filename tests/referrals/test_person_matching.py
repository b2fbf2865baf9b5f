"""Is this someone the scheme already knows? The scheme's rule, applied to every referral.

Rhian (Afon Surgery) refers Glenys twice; Olwen's scheme (Glannau) has its
own Glenys. An automatic link needs the NHS number and the date of birth to
agree with someone known to the same scheme; anything weaker is a new record
and a possible duplicate for Carys, the scheme's coordinator.
"""

from datetime import date

import pytest

from referrals import services
from referrals.models import Person, PossibleDuplicate, ReferralEvent
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

GLENYS = {
    "given_name": "Glenys", "family_name": "Pritchard", "date_of_birth": date(1948, 3, 2),
    "nhs_number": "943 476 5919", "postcode": "CF10 1AA",
}  # fmt: skip
REFERRAL = {
    "reasons": ["loneliness"], "what_matters": "Would like to sing again.",
    "consent_to_referral": True, "consent_to_share": True,
}  # fmt: skip


def refer(rhian, **person):
    return services.referral_create(
        actor=rhian, person_details={**GLENYS, **person}, referral_details=REFERRAL
    )


def test_the_same_nhs_number_and_date_of_birth_link_to_the_known_person(gp_receptionist, scheme):
    first = refer(gp_receptionist)
    second = refer(gp_receptionist, given_name="Glen", postcode="CF11 9AA")
    assert second.person == first.person
    assert Person.objects.count() == 1 and not PossibleDuplicate.objects.exists()
    note = ReferralEvent.objects.get(referral=second, kind="note")
    assert not note.visible_to_referrer and "same NHS number and date of birth" in note.note


def test_the_same_nhs_number_with_another_date_of_birth_is_queued(gp_receptionist, scheme):
    first = refer(gp_receptionist)
    second = refer(gp_receptionist, date_of_birth=date(1948, 2, 3))
    assert second.person != first.person
    pair = PossibleDuplicate.objects.get()
    assert (pair.person, pair.existing, pair.reason) == (second.person, first.person, "nhs_number")
    note = ReferralEvent.objects.get(referral=second, kind="note")
    assert not note.visible_to_referrer


def test_the_same_name_birth_and_postcode_without_an_nhs_number_is_queued(gp_receptionist, scheme):
    first = refer(gp_receptionist, nhs_number="")
    second = refer(gp_receptionist, nhs_number="", given_name="GLENYS")
    assert second.person != first.person
    pair = PossibleDuplicate.objects.get()
    assert (pair.existing, pair.reason) == (first.person, "demographics")


def test_an_nhs_number_on_one_side_only_is_still_queued(gp_receptionist, scheme):
    first = refer(gp_receptionist, nhs_number="")
    second = refer(gp_receptionist)
    assert PossibleDuplicate.objects.get().existing == first.person != second.person


def test_two_different_nhs_numbers_are_two_people(gp_receptionist, scheme):
    refer(gp_receptionist)
    refer(gp_receptionist, nhs_number="999 000 0018")
    assert Person.objects.count() == 2 and not PossibleDuplicate.objects.exists()


def test_another_schemes_person_is_neither_linked_nor_queued(
    gp_receptionist, scheme, outsider_coordinator
):
    """Glannau's Glenys is Glannau's: Teg Valley makes its own record and learns nothing."""
    theirs = ReferralFactory(
        scheme=outsider_coordinator.organisation, person__nhs_number="9434765919",
        person__date_of_birth=GLENYS["date_of_birth"], person__given_name="Glenys",
        person__family_name="Pritchard", person__postcode="CF10 1AA",
    )  # fmt: skip
    ours = refer(gp_receptionist)
    assert ours.person != theirs.person
    assert not PossibleDuplicate.objects.exists()


def test_a_merged_record_is_not_matched_again(gp_receptionist, scheme, coordinator):
    first = refer(gp_receptionist)
    second = refer(gp_receptionist, date_of_birth=date(1948, 2, 3))
    pair = PossibleDuplicate.objects.get()
    services.possible_duplicate_decide(
        duplicate=pair, actor=coordinator, decision="merge", expected_version=1
    )
    third = refer(gp_receptionist, date_of_birth=date(1948, 2, 3))
    assert third.person != second.person
    assert third.person.merged_into is None
    assert PossibleDuplicate.objects.filter(person=third.person, existing=first.person).exists()


def test_the_referral_keeps_the_person_as_referred(gp_receptionist, scheme):
    first = refer(gp_receptionist)
    second = refer(gp_receptionist, given_name="Glen", postcode="cf11 9aa", preferred_name="G")
    as_referred = second.person_as_referred
    assert (as_referred.given_name, as_referred.postcode, as_referred.preferred_name) == (
        "Glen", "CF11 9AA", "G"
    )  # fmt: skip
    assert as_referred.date_of_birth == GLENYS["date_of_birth"]
    assert as_referred.nhs_number == "9434765919"
    assert second.person.given_name == "Glenys"  # the scheme's record is unchanged
    assert first.person_as_referred.given_name == "Glenys"


def test_a_self_referral_is_matched_the_same_way(scheme):
    details = {**GLENYS, "nhs_number": "", "phone": "07700 900123", "contact_method": "phone"}
    first = services.referral_create(person_details=details, referral_details=REFERRAL,
                                     scheme=scheme)  # fmt: skip
    second = services.referral_create(person_details=details, referral_details=REFERRAL,
                                      scheme=scheme)  # fmt: skip
    assert first.person != second.person
    assert PossibleDuplicate.objects.get().existing == first.person


def test_the_match_written_in_sql_finds_whom_the_known_to_scheme_queryset_finds(scheme):
    """`_known_person` writes out Person.objects.known_to_scheme(...).filter(...).first():
    the same person, or no one, for every kind of record around it."""
    from django.utils import timezone

    from referrals.services.intake import _known_person
    from tests.factories import PersonFactory, SchemeFactory

    def known(**person):
        return ReferralFactory(scheme=scheme, person=PersonFactory(**person)).person

    glenys = known(given_name="Glenys", family_name="Pritchard", date_of_birth=date(1948, 3, 2),
                   nhs_number="9434765919", postcode="CF10 1AA")  # fmt: skip
    twin = known(given_name="GLENYS", family_name="pritchard", date_of_birth=date(1948, 3, 2),
                 nhs_number=None, postcode="CF10 1AA")  # fmt: skip
    merged = known(given_name="Glenys", family_name="Pritchard", date_of_birth=date(1948, 3, 2),
                   nhs_number=None, postcode="CF10 1AA")  # fmt: skip
    Person.objects.filter(pk=merged.pk).update(merged_into=glenys, merged_at=timezone.now())
    erased = known(family_name="Erased", date_of_birth=date(1950, 1, 1), nhs_number="4010232137")
    Person.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    elsewhere = ReferralFactory(
        scheme=SchemeFactory(name="Glannau"),
        person=PersonFactory(family_name="Elsewhere", date_of_birth=date(1950, 1, 1)),
    ).person

    cases = [
        ("nhs_number = %s AND date_of_birth = %s", ["9434765919", date(1948, 3, 2)],
         {"nhs_number": "9434765919", "date_of_birth": date(1948, 3, 2)}),
        ("nhs_number = %s", ["9434765919"], {"nhs_number": "9434765919"}),
        ("nhs_number = %s", ["4010232137"], {"nhs_number": "4010232137"}),
        ("nhs_number = %s", [elsewhere.nhs_number], {"nhs_number": elsewhere.nhs_number}),
        ("UPPER(given_name) = UPPER(%s) AND UPPER(family_name) = UPPER(%s) "
         "AND date_of_birth = %s AND postcode = %s",
         ["glenys", "PRITCHARD", date(1948, 3, 2), "CF10 1AA"],
         {"given_name__iexact": "glenys", "family_name__iexact": "PRITCHARD",
          "date_of_birth": date(1948, 3, 2), "postcode": "CF10 1AA"}),
        ("UPPER(given_name) = UPPER(%s) AND UPPER(family_name) = UPPER(%s) "
         "AND date_of_birth = %s AND postcode = %s AND nhs_number IS NULL",
         ["glenys", "PRITCHARD", date(1948, 3, 2), "CF10 1AA"],
         {"given_name__iexact": "glenys", "family_name__iexact": "PRITCHARD",
          "date_of_birth": date(1948, 3, 2), "postcode": "CF10 1AA", "nhs_number__isnull": True}),
    ]  # fmt: skip
    found = []
    for condition, params, lookups in cases:
        expected = Person.objects.known_to_scheme(scheme).filter(**lookups).order_by("pk").first()
        person = _known_person(scheme, condition, params, lock=True)
        assert person == expected, condition
        if person is not None:
            # The whole record, as the ORM reads it.
            assert Person.objects.filter(pk=person.pk).values().get() == {
                field.attname: getattr(person, field.attname)
                for field in Person._meta.concrete_fields
            }
        found.append(person)
    assert found == [glenys, glenys, None, None, glenys, twin]
