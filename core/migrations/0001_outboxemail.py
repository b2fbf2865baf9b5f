"""The email outbox moves here from referrals, keeping its table (referrals_outboxemail).

State only: the table is referrals' until referrals 0010 gives it the `about`
column, copies each email's referral into it, drops the referral key and
hands the model over. No row is lost, on a new database or an old one.
"""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxEmail",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        (
                            "about",
                            models.CharField(
                                blank=True, db_index=True, max_length=100, verbose_name="about"
                            ),
                        ),
                        ("to", models.EmailField(max_length=254, verbose_name="to")),
                        ("subject", models.CharField(max_length=200, verbose_name="subject")),
                        ("body_text", models.TextField(verbose_name="text")),
                        ("body_html", models.TextField(blank=True, verbose_name="HTML")),
                        ("created_at", models.DateTimeField(verbose_name="created")),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                        (
                            "attempts",
                            models.PositiveIntegerField(default=0, verbose_name="attempts"),
                        ),
                        (
                            "last_error",
                            models.CharField(blank=True, max_length=500, verbose_name="last error"),
                        ),
                    ],
                    options={
                        "verbose_name": "outbox email",
                        "verbose_name_plural": "outbox emails",
                        "db_table": "referrals_outboxemail",
                        "ordering": ["created_at"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("sent_at__isnull", True)),
                                fields=["created_at"],
                                name="outbox_unsent",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
