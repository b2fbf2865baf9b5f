"""The outbox moved from referrals to core in its own table: no email is lost on the way.

An email about Glenys's referral, queued before the move, is still there
after it, unsent, and says what it is about; going back restores the key.
"""

from datetime import date

import pytest
from django.utils import timezone

from tests.migration_steps import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("referrals", "0009_person_nhs_number_ascii_digits")]
AFTER = [("referrals", "0010_outbox_moves_to_core")]


def test_queued_emails_survive_the_move_and_say_what_they_are_about():
    apps = migrate(BEFORE)
    try:
        Area = apps.get_model("accounts", "Area")
        Organisation = apps.get_model("accounts", "Organisation")
        Person = apps.get_model("referrals", "Person")
        Referral = apps.get_model("referrals", "Referral")
        OldOutboxEmail = apps.get_model("referrals", "OutboxEmail")
        valley = Area.objects.create(kind="health_board", code="TEG", name="Teg Valley")
        scheme = Organisation.objects.create(name="Teg Valley", kind="scheme", area=valley)
        glenys = Person.objects.create(
            given_name="Glenys", family_name="Pritchard", date_of_birth=date(1948, 3, 2),
            postcode="CF10 1AA",
        )  # fmt: skip
        referral = Referral.objects.create(
            reference="SP-AAAAAAA", person=glenys, source_kind="self", scheme=scheme,
            reasons=["loneliness"], what_matters="Singing.", consent_to_referral=True,
            consent_to_share=True, received_at=timezone.now(),
        )  # fmt: skip
        about_glenys = OldOutboxEmail.objects.create(
            referral=referral, to="rhian@example.org", subject="Accepted",
            body_text="Accepted.", created_at=timezone.now(),
        )  # fmt: skip
        digest = OldOutboxEmail.objects.create(
            to="llinos@example.org", subject="Digest", body_text="Due.",
            created_at=timezone.now(), sent_at=timezone.now(), attempts=1,
        )  # fmt: skip

        apps = migrate(AFTER)
        OutboxEmail = apps.get_model("core", "OutboxEmail")
        moved = OutboxEmail.objects.get(pk=about_glenys.pk)
        assert (moved.uuid, moved.to, moved.sent_at) == (
            about_glenys.uuid,
            "rhian@example.org",
            None,
        )
        assert moved.about == f"referrals.referral:{referral.uuid}"
        assert OutboxEmail.objects.get(pk=digest.pk).about == ""
        assert OutboxEmail.objects.get(pk=digest.pk).sent_at is not None

        apps = migrate(BEFORE)
        OldOutboxEmail = apps.get_model("referrals", "OutboxEmail")
        assert OldOutboxEmail.objects.get(pk=about_glenys.pk).referral_id == referral.pk
        assert OldOutboxEmail.objects.get(pk=digest.pk).referral_id is None
    finally:
        migrate_to_latest()
