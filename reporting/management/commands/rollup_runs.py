from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from reporting import selectors
from reporting.services import rollup_run_abandon, rollup_runs_give_up


class Command(BaseCommand):
    help = (
        "List the latest statistics rollup runs (state, progress, last heartbeat); with "
        "--abandon ID, give up the run in flight ID so the next run may start. Runs whose "
        "worker stopped writing a heartbeat are given up first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--abandon", type=int, metavar="ID", help="the run in flight to give up"
        )
        parser.add_argument("--limit", type=int, default=20, help="how many runs to list (20)")

    @no_translations  # the operator's messages in English
    def handle(self, *args, abandon=None, limit=20, **options):
        given_up = rollup_runs_give_up()
        if given_up:
            self.stdout.write(f"Gave up {given_up} run(s) whose worker stopped (no heartbeat).")
        if abandon is not None:
            if not rollup_run_abandon(run_id=abandon):
                raise CommandError(f"--abandon: run {abandon} is not queued or running.")
            self.stdout.write(f"Run {abandon} abandoned: the next run may start.")
        now = timezone.now()
        self.stdout.write(
            f"{'ID':>6}  {'KIND':<11}  {'STATE':<7}  {'%':>3}  {'REQUESTED':<16}  "
            f"{'HEARTBEAT':>10}  {'REFERRALS':>9}  ERROR"
        )
        for run in selectors.recent_runs(limit=limit):
            beat = ""
            if run.in_flight and run.heartbeat_at:
                beat = f"{int((now - run.heartbeat_at).total_seconds())}s ago"
            self.stdout.write(
                f"{run.pk:>6}  {run.kind:<11}  {run.state:<7}  {run.progress:>3}  "
                f"{timezone.localtime(run.created_at):%Y-%m-%d %H:%M}  {beat:>10}  "
                f"{run.referrals:>9}  {run.error.splitlines()[0] if run.error else ''}"
            )
