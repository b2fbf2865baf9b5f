"""A container health check for a Celery worker or beat, from the heartbeat it writes itself.

    python manage.py heartbeat_check --worker celery@$HOSTNAME
    python manage.py heartbeat_check --beat

Exits 0 when that process wrote its heartbeat within HEARTBEAT_STALE_SECONDS, else 1.
It reads one row of the database: no broadcast through the broker, which could not tell a
dead worker from a dead broker and would take as long as its timeout (README, "What
/healthz says").
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from core.heartbeat import BEAT, worker_name
from core.models import Heartbeat


class Command(BaseCommand):
    help = "Exit 0 if the named Celery worker (or beat) wrote its heartbeat recently, else 1."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--worker", metavar="HOSTNAME", help="the worker's name, celery@host")
        which.add_argument("--beat", action="store_true", help="Celery beat")

    def handle(self, *args, worker=None, beat=False, **options):
        name = BEAT if beat else worker_name(worker)
        try:
            seen_at = Heartbeat.objects.filter(name=name).values_list("seen_at", flat=True).first()
        except DatabaseError as error:
            raise CommandError(f"The database is out of reach: {error}") from error
        if seen_at is None:
            raise CommandError(f"No heartbeat from {name}")
        age = timezone.now() - seen_at
        if age > timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS):
            raise CommandError(f"{name} last wrote its heartbeat {age.total_seconds():.0f}s ago")
        self.stdout.write(f"{name}: heartbeat {age.total_seconds():.0f}s ago")
