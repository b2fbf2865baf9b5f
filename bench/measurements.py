"""The named measurements `make bench` runs. Add one with a line in MEASUREMENTS."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.test import Client


@dataclass(frozen=True)
class Measurement:
    name: str
    run: Callable[[], None]  # one timed run; raises if the answer is wrong
    target_ms: float | None = None  # the median we promise, where we promise one
    setup: Callable[[], None] | None = None  # untimed, before every run (warm-up runs too)
    runs: int | None = None  # timed runs, where not the command's --runs (slow measurements)
    warmup: int = 3
    target_p95_ms: float | None = None  # the 95th percentile we promise, where we promise one


def get(
    name: str,
    url: str,
    *,
    target_ms: float | None = None,
    username: str | None = None,
    setup: Callable[[], None] | None = None,
    target_p95_ms: float | None = None,
) -> Measurement:
    """A measurement that requests `url` (a page or an API endpoint) through the Django client,
    signed in as `username` where one is given."""
    client = Client(HTTP_HOST="localhost")
    signed_in = []

    def run():
        if username and not signed_in:
            from accounts.models import User

            client.force_login(User.objects.get(username=username))
            signed_in.append(username)
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"{url} answered {response.status_code}")

    return Measurement(name, run, target_ms, setup=setup, target_p95_ms=target_p95_ms)


# Reporting (README, "Statistics"): needs the generated referrals (--referrals).
CHANGED_PER_DAY = 3_000


def _three_years() -> str:
    """The filter for the 36 months to this one."""
    today = date.today()
    first = date(today.year - 3 + (today.month == 12), today.month % 12 + 1, 1)
    return f"start={first:%Y-%m}&end={today:%Y-%m}"


def _rolled_up():
    """Untimed: make sure the figures exist and are fresh (a dashboard reads only the rollup,
    and one opened on figures older than the incremental interval would start a run first:
    the timing is of reading the page, as a reader mostly finds it)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from reporting.models import ReferralFact
    from reporting.selectors import latest_runs
    from reporting.services import rollup_full, rollup_incremental

    finished, in_flight = latest_runs()
    if finished is None or not ReferralFact.objects.exists():
        rollup_full()
        return
    # A minute's margin, so the figures stay fresh through the timed runs that follow.
    stale_at = timezone.now() - timedelta(minutes=settings.REPORTING_ROLLUP_INCREMENTAL_MINUTES - 1)
    if in_flight is None and finished.finished_at and finished.finished_at < stale_at:
        rollup_incremental()


def _full_rollup():
    from reporting.services import rollup_full

    run = rollup_full()
    if run.state != run.State.DONE:
        raise AssertionError(f"the full rollup failed: {run.error}")


def _a_days_activity():
    from bench.referrals import apply_activity

    _rolled_up()
    apply_activity(CHANGED_PER_DAY)


def _incremental_rollup():
    from django.test import override_settings

    from reporting.services import rollup_incremental

    # No overlap with the run before: the day's changes are the whole of the work.
    with override_settings(REPORTING_ROLLUP_OVERLAP_MINUTES=0):
        run = rollup_incremental()
    if run.state != run.State.DONE or run.referrals < CHANGED_PER_DAY:
        raise AssertionError(f"the incremental rollup counted {run.referrals} referrals")


# Every shape of directory search, page and Open Referral API: under 50 ms at the 95th
# percentile (README, "Speed"), whatever the size of the directory.
SEARCH_P95_MS = 50


def search(name: str, url: str) -> Measurement:
    return get(name, url, target_p95_ms=SEARCH_P95_MS)


def searching(name: str, *, page: int = 1, postcode: str = "", **arguments) -> Measurement:
    """The search alone, as a results page asks it (a count and a page of 20), without
    drawing the page: how the search grows with the directory, apart from templates."""

    def run() -> None:
        from directory.postcodes import lookup
        from directory.selectors import services_search

        near = lookup(postcode) if postcode else None
        results = services_search(near=near, **arguments)
        results.count()
        list(results[(page - 1) * 20 : page * 20])

    return Measurement(name, run, target_p95_ms=SEARCH_P95_MS)


MEASUREMENTS = [
    search("directory page: keyword + distance", "/directory/?q=garden&postcode=CF37+1AB"),
    search("directory page: distance only", "/directory/?postcode=CF37+1AB"),
    search("directory page: keyword only", "/directory/?q=walking+football"),
    search("directory page: broad keyword only", "/directory/?q=garden"),
    search("directory page: need word", "/directory/?q=lonely"),
    search("directory page: misspelling + distance", "/directory/?q=gardning&postcode=CF37+1AB"),
    search(
        "directory page: filters + distance, page 5",
        "/directory/?free=on&day=2&step_free=on&postcode=SA1+1AD&page=5",
    ),
    search("directory page: filters only, page 3", "/directory/?free=on&day=2&page=3"),
    search(
        "ORUK service_at_locations: keyword + distance",
        "/api/oruk/service_at_locations?search=garden&postcode=CF37+1AB",
    ),
    search(
        "ORUK service_at_locations: keyword within 10 km",
        "/api/oruk/service_at_locations?search=garden&postcode=CF37+1AB&proximity=10000",
    ),
    search("ORUK services: keyword", "/api/oruk/services?search=garden"),
    searching("search alone: keyword + distance", q="garden", postcode="CF37 1AB"),
    searching("search alone: distance only", postcode="CF37 1AB"),
    searching("search alone: keyword only", q="walking football"),
    searching("search alone: broad keyword only", q="garden"),
    searching("search alone: need word", q="lonely"),
    searching(
        "search alone: filters + distance, page 5",
        page=5,
        free_only=True,
        weekday=2,
        accessibility=("step_free_access",),
        postcode="SA1 1AD",
    ),
    # The triage queue walks its index in the queue's order (referrals.models.triage_rank_for).
    get("triage queue: coordinator, first page", "/referrals/triage/", username="coordinator"),
    get(
        "triage queue: search and filters",
        "/referrals/triage/?q=jones&urgency=routine&waiting_over=7",
        username="coordinator",
    ),
    Measurement("reporting: full rollup", _full_rollup, target_ms=300_000, runs=1, warmup=0),
    Measurement(
        f"reporting: incremental rollup, {CHANGED_PER_DAY:,} changed",
        _incremental_rollup,
        target_ms=10_000,
        setup=_a_days_activity,
        runs=3,
        warmup=0,
    ),
    get(
        "reporting dashboard: manager, one scheme",
        "/reporting/",
        target_ms=300,
        username="coordinator",
        setup=_rolled_up,
    ),
    get(
        "reporting dashboard: manager, 3 years of GP referrals",
        f"/reporting/?{_three_years()}&source_kind=gp",
        target_ms=300,
        username="coordinator",
        setup=_rolled_up,
    ),
    get(
        "reporting dashboard: commissioner, health board",
        "/reporting/",
        target_ms=300,
        username="commissioner",
        setup=_rolled_up,
    ),
    get(
        "reporting dashboard: commissioner, 3 years",
        f"/reporting/?{_three_years()}",
        target_ms=300,
        username="commissioner",
        setup=_rolled_up,
    ),
]


@dataclass(frozen=True)
class Result:
    name: str
    median_ms: float
    p95_ms: float
    target_ms: float | None
    target_p95_ms: float | None = None

    @property
    def met(self) -> bool:
        return (self.target_ms is None or self.median_ms <= self.target_ms) and (
            self.target_p95_ms is None or self.p95_ms <= self.target_p95_ms
        )


def time_it(measurement: Measurement, runs: int, warmup: int | None = None) -> Result:
    runs = measurement.runs or runs
    for _ in range(measurement.warmup if warmup is None else warmup):
        if measurement.setup:
            measurement.setup()
        measurement.run()
    timings = []
    for _ in range(runs):
        if measurement.setup:
            measurement.setup()
        start = time.perf_counter()
        measurement.run()
        timings.append((time.perf_counter() - start) * 1000)
    if len(timings) == 1:
        p95 = timings[0]
    else:
        p95 = statistics.quantiles(timings, n=20, method="inclusive")[18]
    return Result(
        measurement.name,
        statistics.median(timings),
        p95,
        measurement.target_ms,
        measurement.target_p95_ms,
    )
