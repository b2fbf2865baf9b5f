from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.db import connection
from django.test import Client

# The tables a restored database must answer for, with their row counts in the report.
COUNTED = [
    "referrals.Referral",
    "referrals.Person",
    "directory.Service",
    "accounts.User",
    "accounts.Organisation",
    "accounts.AuditEvent",
]


class Command(BaseCommand):
    help = (
        "Smoke check a database (after a restore): count the main tables' rows and ask "
        "/healthz through Django, in-process. Fails when a table cannot be read, or when "
        "--min-referrals is given and fewer referrals are found, or /healthz is not 200."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-referrals", type=int, default=0)

    @no_translations
    def handle(self, *args, min_referrals=0, **options):
        counts = {}
        for label in COUNTED:
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            counts[label] = model._default_manager.count()
            self.stdout.write(f"{label}: {counts[label]} rows")
        if counts.get("referrals.Referral", 0) < min_referrals:
            raise CommandError(
                f"--min-referrals: {counts.get('referrals.Referral', 0)} referrals, "
                f"expected at least {min_referrals}"
            )
        host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith((".", "*"))), "")
        response = Client().get("/healthz", HTTP_HOST=host or "localhost")
        self.stdout.write(f"/healthz: {response.status_code} {response.content[:200].decode()}")
        if response.status_code != 200:
            raise CommandError(f"/healthz answered {response.status_code}")
        self.stdout.write(f"Smoke check passed on database {connection.settings_dict['NAME']}.")
