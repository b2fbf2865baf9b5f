from django.core.management.base import BaseCommand, CommandError

from reporting.services import rollup_full, rollup_incremental


class Command(BaseCommand):
    help = (
        "Fill the statistics rollup tables now: the referrals changed since the last run, "
        "or everything with --full. Refuses while another run is in flight."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild everything")

    def handle(self, *args, full=False, **options):
        try:
            run = rollup_full() if full else rollup_incremental()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(
            f"{run.get_kind_display()}: {run.referrals} referrals recomputed in {seconds:.1f} s"
        )
