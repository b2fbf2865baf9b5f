import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.demo import DEMO_PASSWORD, USERS
from accounts.models import User

# Each app may ship a `demo.py` with `seed(stdout)`; they run in dependency order.
DEMO_APPS = ["accounts", "directory", "referrals", "linkworkers", "reporting"]


class Command(BaseCommand):
    help = "Load fictional demo data (areas, organisations, one login per role). Safe to run twice."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: demo logins with the password "
                f"'{DEMO_PASSWORD}' must never reach a real deployment. "
                "Set DEBUG=1 to load demo data."
            )
        with transaction.atomic():
            for label in DEMO_APPS:
                module_name = f"{apps.get_app_config(label).name}.demo"
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as error:
                    if error.name != module_name:
                        raise
                    continue
                module.seed(self.stdout)

        self.stdout.write(self.style.SUCCESS("Demo data loaded. Demo logins (password 'demo'):"))
        users = User.objects.filter(username__in=[row[0] for row in USERS]).select_related(
            "organisation"
        )
        for user in sorted(users, key=lambda u: [row[0] for row in USERS].index(u.username)):
            where = f" at {user.organisation}" if user.organisation else ""
            self.stdout.write(f"  {user.username:<13} {user.get_role_display()}{where}")
