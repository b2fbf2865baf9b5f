"""The referrals made before issue 11: what their referrers see, and their NHS numbers.

The old "linked to a person already known" note leaves the referrer's timeline.

They kept no copy of what the referrer typed, so the migration copies each
referral's current person (the best record there is); an NHS number stored
with full-width digits (the old validator let them in) becomes ASCII digits.
"""

from datetime import date

import pytest
from django.utils import timezone

from tests.migration_steps import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("referrals", "0007_person_matching_within_the_scheme")]
AFTER = [("referrals", "0009_person_nhs_number_ascii_digits")]


def test_old_referrals_get_the_person_as_referred_and_ascii_numbers():
    apps = migrate(BEFORE)
    try:
        Area = apps.get_model("accounts", "Area")
        Organisation = apps.get_model("accounts", "Organisation")
        Person = apps.get_model("referrals", "Person")
        Referral = apps.get_model("referrals", "Referral")
        valley = Area.objects.create(kind="health_board", code="TEG", name="Teg Valley")
        scheme = Organisation.objects.create(name="Teg Valley", kind="scheme", area=valley)
        practice = Organisation.objects.create(name="Afon", kind="gp_practice", area=valley)
        glenys = Person.objects.create(
            given_name="Glenys", family_name="Pritchard", date_of_birth=date(1948, 3, 2),
            nhs_number="９４３４７６５９１９", postcode="CF10 1AA", preferred_name="Glen",
        )  # fmt: skip
        referral = Referral.objects.create(
            reference="SP-AAAAAAA", person=glenys, source_kind="gp",
            referring_organisation=practice, scheme=scheme, reasons=["loneliness"],
            what_matters="Singing.", consent_to_referral=True, consent_to_share=True,
            received_at=timezone.now(),
        )  # fmt: skip
        ReferralEvent = apps.get_model("referrals", "ReferralEvent")
        ReferralEvent.objects.create(
            referral=referral, kind="created", to_status="received",
            note="Linked to a person already known to the scheme.", created_at=timezone.now(),
        )  # fmt: skip

        apps = migrate(AFTER)
        Person = apps.get_model("referrals", "Person")
        Referral = apps.get_model("referrals", "Referral")
        assert Person.objects.get(pk=glenys.pk).nhs_number == "9434765919"
        as_referred = Referral.objects.get(pk=referral.pk).person_details_as_referred
        assert as_referred["given_name"] == "Glenys" and as_referred["preferred_name"] == "Glen"
        assert as_referred["date_of_birth"] == "1948-03-02"
        assert as_referred["nhs_number"] == "9434765919"
        assert as_referred["postcode"] == "CF10 1AA"
        ReferralEvent = apps.get_model("referrals", "ReferralEvent")
        created = ReferralEvent.objects.get(referral_id=referral.pk, kind="created")
        assert created.note == "" and created.visible_to_referrer
        hidden = ReferralEvent.objects.get(referral_id=referral.pk, kind="note")
        assert "already known" in hidden.note and not hidden.visible_to_referrer
    finally:
        migrate_to_latest()
