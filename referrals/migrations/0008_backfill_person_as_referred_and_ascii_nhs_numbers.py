"""Backfill: each referral's person as referred, and NHS numbers as ASCII digits.

The referrals made before this change kept no copy of what the referrer typed;
their current person is the best record there is, so it becomes the copy.
NHS numbers stored with other scripts' digits (the old validator let them
through) become ASCII digits; one that is still not ten digits is cleared,
since it could never have matched or been exported correctly.

The "Linked to a person already known to the scheme" note used to sit on the
referral's first timeline event, which referrers see: it moves to a note of
its own that only the scheme sees (the one change ever made to a timeline
row, to stop it telling referrers who the scheme knows).
"""

import unicodedata

from django.db import migrations

FIELDS = (
    "given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number", "gender",
    "ethnic_group", "address", "postcode", "phone", "email", "contact_method",
    "may_leave_message", "preferred_language", "communication_needs",
)  # fmt: skip


def _ascii(number):
    digits = "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() else ("" if c.isspace() or c == "-" else c)
        for c in number
    )
    return digits if len(digits) == 10 and digits.isascii() and digits.isdigit() else None


def forwards(apps, schema_editor):
    Person = apps.get_model("referrals", "Person")
    Referral = apps.get_model("referrals", "Referral")
    for person in Person.objects.exclude(nhs_number=None).iterator():
        number = _ascii(person.nhs_number)
        if number != person.nhs_number:
            Person.objects.filter(pk=person.pk).update(nhs_number=number)
    referrals = Referral.objects.filter(person_details_as_referred={}).select_related("person")
    batch = []
    for referral in referrals.iterator(chunk_size=500):
        person = referral.person
        snapshot = {field: getattr(person, field) for field in FIELDS}
        snapshot["date_of_birth"] = person.date_of_birth.isoformat()
        referral.person_details_as_referred = snapshot
        batch.append(referral)
        if len(batch) == 500:
            Referral.objects.bulk_update(batch, ["person_details_as_referred"])
            batch = []
    Referral.objects.bulk_update(batch, ["person_details_as_referred"])
    _hide_known_person_notes(apps)


def _hide_known_person_notes(apps):
    ReferralEvent = apps.get_model("referrals", "ReferralEvent")
    # Only referral_create ever wrote a note on the "created" event, and only that one.
    told = ReferralEvent.objects.filter(kind="created").exclude(note="")
    ReferralEvent.objects.bulk_create(
        ReferralEvent(
            referral_id=event.referral_id, kind="note", actor_id=event.actor_id,
            note=event.note, visible_to_referrer=False, created_at=event.created_at,
        )  # fmt: skip
        for event in told
    )
    told.update(note="")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0007_person_matching_within_the_scheme")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
