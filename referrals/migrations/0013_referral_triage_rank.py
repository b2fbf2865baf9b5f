from django.db import migrations, models

# The triage queue's order as a stored rank (referrals.models.triage_rank_for): received
# before accepted, urgent before routine; NULL outside the queue. One UPDATE fills it for
# the referrals already there; from then on intake and the transition door keep it.
BACKFILL = """
UPDATE referrals_referral SET triage_rank = CASE
    WHEN status = 'received' AND urgency = 'urgent' THEN 0
    WHEN status = 'received' THEN 1
    WHEN status = 'accepted' AND urgency = 'urgent' THEN 2
    WHEN status = 'accepted' THEN 3
END
WHERE status IN ('received', 'accepted')
"""


class Migration(migrations.Migration):

    dependencies = [
        ("referrals", "0012_person_erasure"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="triage_rank",
            field=models.PositiveSmallIntegerField(
                blank=True, editable=False, null=True, verbose_name="place in the triage queue"
            ),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop, elidable=False),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=models.Q(("status__in", ("received", "accepted"))),
                fields=["scheme", "triage_rank", "received_at", "id"],
                name="referral_triage_queue",
            ),
        ),
    ]
