from django.core.management.base import BaseCommand, CommandError

from config.celery import ping


class Command(BaseCommand):
    help = "Send a task through the broker and wait for a Celery worker to run it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30, help="seconds to wait")

    def handle(self, *args, timeout, **options):
        result = ping.delay()
        try:
            answer = result.get(timeout=timeout)
        except Exception as error:  # a timeout or a broker error: both mean no worker answered
            raise CommandError(
                f"No Celery worker ran the task within {timeout:g}s: {error!r}"
            ) from error
        if answer != "pong":
            raise CommandError(f"The worker answered {answer!r}, not 'pong'")
        self.stdout.write(self.style.SUCCESS(f"A Celery worker ran task {result.id}: {answer}"))
