"""The referrals already in the queue when the rank arrived get theirs from the migration."""

from datetime import date

import pytest
from django.utils import timezone

from tests.migration_steps import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("referrals", "0012_person_erasure")]
AFTER = [("referrals", "0013_referral_triage_rank")]


def test_the_migration_ranks_every_referral_by_status_and_urgency():
    apps = migrate(BEFORE)
    try:
        Area = apps.get_model("accounts", "Area")
        Organisation = apps.get_model("accounts", "Organisation")
        User = apps.get_model("accounts", "User")
        Person = apps.get_model("referrals", "Person")
        Referral = apps.get_model("referrals", "Referral")
        valley = Area.objects.create(kind="health_board", code="TEG", name="Teg Valley")
        scheme = Organisation.objects.create(name="Teg Valley", kind="scheme", area=valley)
        practice = Organisation.objects.create(name="Afon", kind="gp_practice", area=valley)
        llinos = User.objects.create(username="llinos", role="link_worker", organisation=scheme)
        glenys = Person.objects.create(
            given_name="Glenys", family_name="Pritchard", date_of_birth=date(1948, 3, 2),
            postcode="CF10 1AA",
        )  # fmt: skip
        cases = {}
        for number, (status, urgency) in enumerate(
            [
                ("received", "urgent"),
                ("received", "routine"),
                ("accepted", "urgent"),
                ("accepted", "routine"),
                ("allocated", "urgent"),
                ("rejected", "routine"),
                ("closed", "urgent"),
            ]  # fmt: skip
        ):
            cases[(status, urgency)] = Referral.objects.create(
                reference=f"SP-AAAAAA{number}", person=glenys, source_kind="gp",
                referring_organisation=practice, scheme=scheme, reasons=["loneliness"],
                what_matters="Singing.", consent_to_referral=True, consent_to_share=True,
                received_at=timezone.now(), status=status, urgency=urgency,
                link_worker=llinos if status in ("allocated", "closed") else None,
            ).pk  # fmt: skip

        apps = migrate(AFTER)
        Referral = apps.get_model("referrals", "Referral")
        ranks = {key: Referral.objects.get(pk=pk).triage_rank for key, pk in cases.items()}
        assert ranks == {
            ("received", "urgent"): 0, ("received", "routine"): 1,
            ("accepted", "urgent"): 2, ("accepted", "routine"): 3,
            ("allocated", "urgent"): None, ("rejected", "routine"): None,
            ("closed", "urgent"): None,
        }  # fmt: skip
    finally:
        migrate_to_latest()
