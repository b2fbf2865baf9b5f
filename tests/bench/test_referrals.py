import pytest
from django.db import connection, transaction
from django.db.models import Count

from bench import measurements, referrals
from bench.measurements import MEASUREMENTS, time_it
from linkworkers.models import Answer, Connection, LinkWorker, OutcomeMeasure
from referrals.models import Person, Referral, ReferralEvent
from reporting.models import ReferralCube, RollupRun
from reporting.services import rollup_full

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the referral generator writes PostgreSQL SQL"
    ),
]


@pytest.fixture(scope="module")
def generated_once(django_db_setup, django_db_blocker):
    """1,200 referrals, generated once for the module in a transaction rolled back at its end.

    Each test runs inside it in a savepoint of its own (pytest-django's `db`), so what one test
    writes is gone before the next.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        referrals.generate(1_000)
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def generated(generated_once, db):
    return Referral.objects.count()


def test_the_generator_copies_the_demo_until_there_are_enough_referrals(generated):
    template = 300  # the demo's referrals
    assert generated == 1_200  # whole copies of the template: 1,000 rounded up
    copies = generated // template
    assert ReferralEvent.objects.count() % copies == 0
    assert Connection.objects.count() % copies == 0
    assert Answer.objects.count() % copies == 0
    assert not Person.objects.filter(referrals=None).exists()
    # Unique references in the checked shape, fresh uuids, no NHS number repeated.
    assert Referral.objects.values("reference").distinct().count() == generated
    assert Person.objects.exclude(nhs_number=None).count() < template


def test_copies_keep_each_referrals_own_history_together(generated):
    template = Referral.objects.exclude(reference__startswith="SP-Z").order_by("pk")
    low, high = template.first().pk, template.last().pk
    copy = Referral.objects.filter(reference__startswith="SP-Z").order_by("pk").last()
    k = (copy.pk - low) // (high - low + 1)
    original = Referral.objects.get(pk=copy.pk - k * (high - low + 1))
    assert copy.status == original.status
    assert copy.events.count() == original.events.count()
    assert copy.connections.count() == original.connections.count()
    assert copy.person.date_of_birth == original.person.date_of_birth
    # Moved back whole weeks: the same weekday, so working days stay working days.
    assert copy.received_at.weekday() == original.received_at.weekday()
    for event in copy.events.all():
        assert event.created_at >= copy.received_at
    for measure in OutcomeMeasure.objects.filter(referral=copy).prefetch_related("answers"):
        assert measure.answers.exists()


def test_copies_go_to_several_schemes_each_with_its_own_link_workers(generated):
    schemes = Referral.objects.values("scheme_id").annotate(n=Count("pk"))
    assert len(schemes) == min(referrals.SCHEMES, generated // 300)
    for referral in Referral.objects.exclude(link_worker=None).select_related(
        "link_worker__link_worker_profile"
    ):
        assert referral.link_worker.link_worker_profile.scheme_id == referral.scheme_id


def test_a_days_activity_marks_that_many_referrals_changed(generated):
    before = ReferralEvent.objects.count()
    changed = referrals.apply_activity(50)
    assert len(set(changed)) == 50
    assert ReferralEvent.objects.count() == before + 50
    assert Referral.objects.filter(pk__in=changed, version__gt=1).count() == 50


def test_the_generated_referrals_roll_up_and_every_reporting_measurement_answers(
    generated, monkeypatch
):
    run = rollup_full()
    assert run.state == RollupRun.State.DONE
    assert run.referrals == generated
    assert sum(ReferralCube.objects.values_list("received", flat=True)) == generated
    assert LinkWorker.objects.count() >= referrals.SCHEMES
    monkeypatch.setattr(measurements, "CHANGED_PER_DAY", 40)
    names = []
    for measurement in MEASUREMENTS:
        if measurement.name.startswith("reporting"):
            result = time_it(measurement, runs=1, warmup=0)
            assert result.median_ms > 0
            names.append(measurement.name)
    assert len(names) == 6


def test_every_triage_queue_measurement_answers(generated):
    triage = [m for m in MEASUREMENTS if m.name.startswith("triage")]
    assert len(triage) == 2
    for measurement in triage:
        assert time_it(measurement, runs=1, warmup=0).median_ms > 0
