"""Demo figures: the rollup run once over the demo data, so the dashboards open with numbers."""

from .models import RollupRun
from .services import rollup_full


def seed(stdout):
    if RollupRun.objects.filter(in_flight=True).exists():
        stdout.write("reporting: a rollup is already running")
        return
    run = rollup_full()
    stdout.write(f"reporting: figures rolled up for {run.referrals} referrals")
