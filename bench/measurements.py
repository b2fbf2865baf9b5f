"""The named measurements `make bench` runs. Add one with a line in MEASUREMENTS."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.test import Client


@dataclass(frozen=True)
class Measurement:
    name: str
    run: Callable[[], None]  # one timed run; raises if the answer is wrong
    target_ms: float | None = None  # the median we promise, where we promise one


def get(name: str, url: str, *, target_ms: float | None = None) -> Measurement:
    """A measurement that requests `url` (a page or an API endpoint) through the Django client."""
    client = Client(HTTP_HOST="localhost")

    def run():
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"{url} answered {response.status_code}")

    return Measurement(name, run, target_ms)


MEASUREMENTS = [
    get(
        "directory page: keyword + distance",
        "/directory/?q=garden&postcode=CF37+1AB",
        target_ms=100,
    ),
    get("directory page: distance only", "/directory/?postcode=CF37+1AB"),
    get("directory page: keyword only", "/directory/?q=walking+football"),
    get(
        "directory page: filters + distance, page 5",
        "/directory/?free=on&day=2&step_free=on&postcode=SA1+1AD&page=5",
    ),
    get(
        "ORUK service_at_locations: keyword + distance",
        "/api/oruk/service_at_locations?search=garden&postcode=CF37+1AB",
        target_ms=100,
    ),
    get(
        "ORUK service_at_locations: keyword within 10 km",
        "/api/oruk/service_at_locations?search=garden&postcode=CF37+1AB&proximity=10000",
    ),
    get("ORUK services: keyword", "/api/oruk/services?search=garden"),
]


@dataclass(frozen=True)
class Result:
    name: str
    median_ms: float
    p95_ms: float
    target_ms: float | None

    @property
    def met(self) -> bool:
        return self.target_ms is None or self.median_ms <= self.target_ms


def time_it(measurement: Measurement, runs: int, warmup: int = 3) -> Result:
    for _ in range(warmup):
        measurement.run()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        measurement.run()
        timings.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(timings, n=20, method="inclusive")[18]
    return Result(measurement.name, statistics.median(timings), p95, measurement.target_ms)
