"""Every change reporting makes: filling the rollup tables (and, later, sending reports)."""

from .models import RollupRun


def rollup_request(*, kind: str, requested_by=None) -> tuple[RollupRun, bool]:
    """Queue a run of `kind`, or join the one already queued or running: (run, created)."""
    raise NotImplementedError


def rollup_execute(*, run_id: int) -> RollupRun:
    """Do the queued run `run_id` (from the Celery task)."""
    raise NotImplementedError


def rollup_full() -> RollupRun:
    """Rebuild every fact and cube now, in this process (command, bench, tests)."""
    raise NotImplementedError


def rollup_incremental() -> RollupRun:
    """Recompute the referrals changed since the last run, and their cells, now."""
    raise NotImplementedError
