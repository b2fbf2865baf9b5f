import pytest

from bench.generate import generate
from bench.measurements import MEASUREMENTS, Measurement, get, time_it
from directory.models import Schedule, Service, ServiceAtLocation
from directory.postcodes import lookup
from directory.selectors import services_search

pytestmark = pytest.mark.django_db


def test_the_generator_makes_searchable_services_with_places_sessions_and_categories():
    generate(40)
    assert Service.objects.count() == 40
    assert ServiceAtLocation.objects.count() == 40
    assert Schedule.objects.count() >= 40
    assert not Service.objects.filter(taxonomy_terms=None).exists()
    found = list(services_search(near=lookup("CF37 1AB")))
    assert len(found) == 40
    assert all(service.distance_m is not None for service in found)


def test_every_directory_measurement_answers():
    generate(25)
    for measurement in MEASUREMENTS:
        # Those need the generated referrals and the demo's people: test_referrals.py.
        if not measurement.name.startswith(("reporting", "triage")):
            measurement.run()


def test_a_wrong_answer_fails_the_measurement():
    with pytest.raises(AssertionError, match="answered 404"):
        get("missing", "/no-such-page/").run()


def test_setup_runs_untimed_before_each_run_and_a_measurement_may_set_its_own_runs():
    calls = []
    measurement = Measurement(
        "slow", lambda: calls.append("run"), setup=lambda: calls.append("setup"), runs=2, warmup=1
    )
    result = time_it(measurement, runs=50)
    assert calls == ["setup", "run"] * 3
    assert result.median_ms <= result.p95_ms


def test_it_reports_the_median_and_95th_percentile():
    result = time_it(Measurement("noop", lambda: None, target_ms=100), runs=20, warmup=0)
    assert 0 <= result.median_ms <= result.p95_ms
    assert result.met
