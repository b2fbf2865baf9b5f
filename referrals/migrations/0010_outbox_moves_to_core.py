"""The email outbox becomes core's (core.OutboxEmail), in the same table, with every row.

The referral key becomes `about` ("referrals.referral:<uuid>"), since core
knows no app; the rows keep what they concern, and going back restores the key.
"""

import uuid

from django.db import migrations, models

ABOUT_PREFIX = "referrals.referral:"


def referral_to_about(apps, schema_editor):
    OutboxEmail = apps.get_model("referrals", "OutboxEmail")
    rows = OutboxEmail.objects.filter(referral__isnull=False).values_list("pk", "referral__uuid")
    for pk, referral_uuid in rows.iterator():
        OutboxEmail.objects.filter(pk=pk).update(about=f"{ABOUT_PREFIX}{referral_uuid}")


def about_to_referral(apps, schema_editor):
    OutboxEmail = apps.get_model("referrals", "OutboxEmail")
    Referral = apps.get_model("referrals", "Referral")
    rows = OutboxEmail.objects.filter(about__startswith=ABOUT_PREFIX).values_list("pk", "about")
    for pk, about in rows.iterator():
        referral_uuid = uuid.UUID(about.removeprefix(ABOUT_PREFIX))
        referral_id = Referral.objects.filter(uuid=referral_uuid).values_list("pk", flat=True)
        OutboxEmail.objects.filter(pk=pk).update(referral_id=referral_id.first())


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_outboxemail"),
        ("referrals", "0009_person_nhs_number_ascii_digits"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxemail",
            name="about",
            field=models.CharField(
                blank=True, db_index=True, default="", max_length=100, verbose_name="about"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(referral_to_about, about_to_referral),
        migrations.RemoveField(model_name="outboxemail", name="referral"),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboxEmail")],
            database_operations=[],
        ),
    ]
