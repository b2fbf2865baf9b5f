"""Filling the rollup tables: full and incremental runs, one at a time, safe to run twice."""

from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from reporting import services
from reporting.models import ReferralCube, ReferralFact, RollupRun
from reporting.services import (
    rollup_execute,
    rollup_full,
    rollup_incremental,
    rollup_request,
)
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def settle():
    """Make the fixture's rows look an hour old, as if the day's work was done before the run."""
    from linkworkers.models import OutcomeMeasure
    from referrals.models import Referral

    an_hour_ago = timezone.now() - timedelta(hours=1)
    Referral.objects.update(updated_at=an_hour_ago)
    OutcomeMeasure.objects.update(created_at=an_hour_ago)


def received(scheme=None, **filters):
    rows = ReferralCube.objects.filter(**filters)
    if scheme is not None:
        rows = rows.filter(scheme=scheme)
    return sum(rows.values_list("received", flat=True))


def test_a_full_run_counts_every_referral(known_data, scheme):
    run = rollup_full()
    assert run.state == RollupRun.State.DONE
    assert run.progress == 100
    assert run.in_flight is None
    assert run.referrals == 6
    assert ReferralFact.objects.count() == 6
    assert received(scheme) == 5  # R0 in February, R1-R4


def test_an_incremental_run_adds_a_new_referral(known_data, scheme):
    settle()
    rollup_full()
    ReferralFactory(scheme=scheme, received_at=known_data["r1"].received_at)
    run = rollup_incremental()
    assert run.kind == RollupRun.Kind.INCREMENTAL
    assert run.referrals == 1  # only the one that changed was recomputed
    assert received(scheme) == 6


def test_an_incremental_run_with_nothing_changed_changes_nothing(known_data, scheme):
    settle()
    rollup_full()
    before = list(ReferralCube.objects.order_by("pk").values())
    run = rollup_incremental()
    assert run.state == RollupRun.State.DONE
    assert run.referrals == 0
    assert list(ReferralCube.objects.order_by("pk").values()) == before


def test_an_incremental_run_sees_a_status_change(known_data, scheme):
    rollup_full()
    r2 = known_data["r2"]
    r2.status, r2.closure_reason, r2.closed_at = "closed", "completed", timezone.now()
    r2.save()
    rollup_incremental()
    cube = ReferralCube.objects.get(scheme=scheme, month=r2.received_at.date().replace(day=1),
                                    source_kind="self")  # fmt: skip
    assert cube.completed == 1


def test_an_incremental_run_recounts_the_cell_a_referral_left(known_data, scheme):
    from tests.factories import SchemeFactory

    rollup_full()
    other = SchemeFactory()
    r4 = known_data["r4"]
    r4.scheme = other
    r4.save()
    rollup_incremental()
    assert received(scheme) == 4
    assert received(other) == 1


def test_an_incremental_run_finds_changes_to_connections_and_outcomes(known_data, scheme):
    from reporting.models import ConnectionCube

    settle()
    rollup_full()
    connection = known_data["r2"].connections.get()
    # The provider's decision is changed without touching the referral row.
    connection.status, connection.decline_reason = "accepted", ""
    connection.answered_at = timezone.now()
    connection.save()
    run = rollup_incremental()
    assert run.referrals == 1
    cube = ConnectionCube.objects.get(scheme=scheme, category=known_data["arts"])
    assert (cube.accepted, cube.declined) == (1, 0)


CUBES = ("ReferralCube", "WeeklyCube", "WaitCube", "LinkWorkerCube", "BreakdownCube",
         "ConnectionCube", "UnmetNeedCube", "OutcomeCube")  # fmt: skip


def every_cube():
    """Every cube's rows, without their ids, in a comparable order."""
    from reporting import models

    found = {}
    for name in CUBES:
        rows = [
            tuple(sorted((k, str(v)) for k, v in row.items() if k != "id"))
            for row in getattr(models, name).objects.values()
        ]
        found[name] = sorted(rows)
    return found


def test_an_incremental_run_moves_the_cubes_where_a_full_run_would_put_them(known_data, scheme):
    from linkworkers.models import Answer
    from tests.factories import (
        ConnectionFactory,
        ItemFactory,
        OutcomeMeasureFactory,
        SchemeFactory,
        UnmetNeedFactory,
    )

    settle()
    rollup_full()
    r1, r2, r4 = known_data["r1"], known_data["r2"], known_data["r4"]
    # A referral moves to another scheme and month and loses its worker's allocation.
    r4.scheme = SchemeFactory()
    r4.received_at = r4.received_at - timedelta(days=40)
    r4.reasons = ["housing", "money"]
    r4.save()
    # Another is closed, gets a second connection (attended), an unmet need and a follow-up.
    r2.status, r2.closure_reason, r2.closed_at = "closed", "completed", timezone.now()
    r2.save()
    ConnectionFactory(
        referral=r2, service=r1.connections.get().service, status="attending",
        proposed_at=timezone.now(), referred_at=timezone.now(), answered_at=timezone.now(),
        attending_since=timezone.now(),
    )  # fmt: skip
    UnmetNeedFactory(referral=r2, category=known_data["gardening"], recorded_at=timezone.now())
    OutcomeMeasureFactory(
        referral=r4, instrument=known_data["ucla"], timepoint="closure",
        answered_on=date(2026, 5, 10), raw_score=4,
    )  # fmt: skip
    # A new referral in a cell nobody counted in before.
    ReferralFactory(
        scheme=scheme, received_at=datetime(2026, 1, 14, 12, tzinfo=UTC), reasons=["loneliness"]
    )
    # A review with an item's answer (and the baseline's), for the per-item outcomes.
    item = ItemFactory(instrument=known_data["ucla"])
    review = OutcomeMeasureFactory(
        referral=r1, instrument=known_data["ucla"], timepoint="review",
        answered_on=date(2026, 4, 1), raw_score=6,
    )  # fmt: skip
    Answer.objects.create(measure=review, item=item, value=2)
    Answer.objects.create(measure=r1.outcome_measures.get(timepoint="baseline"), item=item, value=4)

    with mock.patch.object(services, "_rebuild_cubes", wraps=services._rebuild_cubes) as summed:
        run = rollup_incremental()
    summed.assert_not_called()  # moved by the difference, not summed afresh
    assert run.state == RollupRun.State.DONE
    assert run.referrals == 4  # r1, r2, r4 and the new one
    moved = every_cube()
    rollup_full()
    assert moved == every_cube()


def test_the_first_incremental_run_does_everything(known_data, scheme):
    run = rollup_incremental()
    assert run.since is None
    assert received(scheme) == 5


def test_a_second_request_joins_the_run_in_flight(known_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, mock.patch(
        "reporting.tasks.rollup_run_task.delay"
    ):  # fmt: skip
        first, created = rollup_request(kind=RollupRun.Kind.INCREMENTAL)
        second, created_again = rollup_request(kind=RollupRun.Kind.FULL)
    assert created and not created_again
    assert second == first
    assert len(callbacks) == 1
    assert RollupRun.objects.count() == 1


def test_running_the_same_run_twice_does_it_once(known_data):
    with mock.patch("reporting.tasks.rollup_run_task.apply_async"):
        run, _created = rollup_request(kind=RollupRun.Kind.FULL)
    assert rollup_execute(run_id=run.pk).state == RollupRun.State.DONE
    assert rollup_execute(run_id=run.pk) is None


def test_the_celery_task_runs_the_queued_run(
    known_data, scheme, django_capture_on_commit_callbacks
):
    # Tests run Celery eagerly: the task runs when the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        run, _created = rollup_request(kind=RollupRun.Kind.FULL)
    run.refresh_from_db()
    assert run.state == RollupRun.State.DONE
    assert received(scheme) == 5


def test_a_failed_run_says_so_and_frees_the_slot(known_data):
    failing = mock.patch.object(services, "_process", side_effect=RuntimeError("disk full"))
    with failing, pytest.raises(RuntimeError):
        rollup_full()
    run = RollupRun.objects.get()
    assert run.state == RollupRun.State.FAILED
    assert run.error == "disk full"
    assert run.in_flight is None
    assert rollup_full().state == RollupRun.State.DONE


def test_a_run_abandoned_by_a_dead_worker_is_replaced(known_data):
    stuck = RollupRun.objects.create(
        kind=RollupRun.Kind.FULL,
        state=RollupRun.State.RUNNING,
        created_at=timezone.now() - timedelta(hours=4),
    )
    run = rollup_full()
    stuck.refresh_from_db()
    assert stuck.state == RollupRun.State.FAILED
    assert run.state == RollupRun.State.DONE


def test_the_nightly_and_incremental_schedules_queue_runs(known_data, settings):
    from reporting import tasks

    assert settings.CELERY_BEAT_SCHEDULE["reporting-rollup-nightly"]["task"] == (
        "reporting.rollup_nightly"
    )
    assert settings.CELERY_BEAT_SCHEDULE["reporting-rollup-incremental"]["task"] == (
        "reporting.rollup_incremental"
    )
    with mock.patch("reporting.tasks.rollup_run_task.apply_async"):
        tasks.rollup_nightly()
    assert RollupRun.objects.get().kind == RollupRun.Kind.FULL


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        ("2008-06-02", "2026-06-01", "0-17"),
        ("2008-06-01", "2026-06-01", "18-24"),
        ("1982-01-01", "2026-06-01", "25-44"),
        ("1961-06-02", "2026-06-01", "45-64"),
        ("1952-06-01", "2026-06-01", "65-74"),
        ("1951-06-01", "2026-06-01", "75+"),
    ],
)
def test_age_bands_use_the_age_on_the_day(born, on, band):
    from tests.factories import PersonFactory

    referral = ReferralFactory(
        person=PersonFactory(date_of_birth=date.fromisoformat(born)),
        received_at=datetime.fromisoformat(f"{on}T12:00:00+00:00"),
    )
    rollup_full()
    assert ReferralFact.objects.get(referral_id=referral.pk).age_band == band


@pytest.mark.usefixtures("empty_postcode_table")
def test_deciles_make_quintiles():
    from directory.models import Postcode
    from tests.factories import PersonFactory

    made = {}
    for decile in range(1, 11):
        postcode = f"CF{decile} 1AA"
        Postcode.objects.create(postcode=postcode, imd_decile=decile)
        made[decile] = ReferralFactory(person=PersonFactory(postcode=postcode))
    unknown = ReferralFactory(person=PersonFactory(postcode="SA1 1AA"))
    rollup_full()
    quintiles = dict(ReferralFact.objects.values_list("referral_id", "deprivation"))
    assert [quintiles[made[d].pk] for d in range(1, 11)] == list("1122334455")
    assert quintiles[unknown.pk] == "unknown"


def waits_counted() -> dict:
    """{referral id: (calendar days, working days)} as the rollup counted them."""
    rows = ReferralFact.objects.values_list("referral_id", "wait_days", "wait_working_days")
    return {pk: (days, working) for pk, days, working in rows}


def test_waiting_days_count_calendar_and_working_days():
    """Every weekday to start from, every wait up to three weeks, against counting by hand."""
    expected = {}
    monday = date(2026, 3, 2)
    for start_offset in range(7):
        start = monday + timedelta(days=start_offset)
        for wait in range(22):
            contact = start + timedelta(days=wait)
            referral = ReferralFactory(
                received_at=datetime.combine(start, time(12), tzinfo=UTC),
                first_contact_at=datetime.combine(contact, time(12), tzinfo=UTC),
            )
            weekdays = sum(
                1 for n in range(1, wait + 1) if (start + timedelta(days=n)).weekday() < 5
            )
            expected[referral.pk] = (wait, weekdays)
    rollup_full()
    assert waits_counted() == expected


def test_working_days_leave_out_the_bank_holidays_on_record():
    """Across Easter 2026 (Good Friday 3 April, Easter Monday 6 April, from the migration),
    every start in the fortnight before and every wait up to three weeks, by hand."""
    from accounts.models import BankHoliday

    holidays = set(BankHoliday.objects.values_list("date", flat=True))
    assert {date(2026, 4, 3), date(2026, 4, 6)} <= holidays
    expected = {}
    for start in (date(2026, 3, 23) + timedelta(days=n) for n in range(14)):
        for wait in range(22):
            contact = start + timedelta(days=wait)
            referral = ReferralFactory(
                received_at=datetime.combine(start, time(12), tzinfo=UTC),
                first_contact_at=datetime.combine(contact, time(12), tzinfo=UTC),
            )
            days = [start + timedelta(days=n) for n in range(1, wait + 1)]
            working = sum(1 for day in days if day.weekday() < 5 and day not in holidays)
            expected[referral.pk] = (wait, working)
    rollup_full()
    assert waits_counted() == expected


def test_months_and_weeks_are_local_time():
    # 23:30 UTC on 31 May 2026 is 00:30 on 1 June in London (summer time).
    referral = ReferralFactory(received_at=datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    rollup_full()
    fact = ReferralFact.objects.get(referral_id=referral.pk)
    assert fact.month == date(2026, 6, 1)
    assert fact.week == date(2026, 6, 1)  # a Monday


def test_the_rollup_command(known_data, scheme):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("rollup", "--full", stdout=out)
    assert "6 referrals recomputed" in out.getvalue()
    call_command("rollup", stdout=out)
    assert received(scheme) == 5


def test_the_rollup_command_refuses_while_a_run_is_in_flight(known_data):
    from django.core.management import CommandError, call_command

    RollupRun.objects.create(kind=RollupRun.Kind.FULL, created_at=timezone.now())
    with pytest.raises(CommandError, match="already in flight"):
        call_command("rollup")


def test_each_baseline_pairs_with_the_right_follow_up():
    """The closure measure beats any review; else the latest review (by day, then by when it
    was recorded); instruments never pair across; per-item instruments pair item by item."""
    from linkworkers.models import Answer
    from reporting.models import OutcomeFact
    from tests.factories import InstrumentFactory, ItemFactory, OutcomeMeasureFactory

    whole = InstrumentFactory(higher_is_better=True)
    other = InstrumentFactory(higher_is_better=True)
    per_item = InstrumentFactory(scoring="per_item")
    happy = ItemFactory(instrument=per_item, higher_is_better=True)
    anxious = ItemFactory(instrument=per_item, higher_is_better=False)
    noon = datetime(2026, 4, 1, 12, tzinfo=UTC)

    def measure(referral, instrument, timepoint, day, score=None, *, later=0, answers=None):
        made = OutcomeMeasureFactory(
            referral=referral, instrument=instrument, timepoint=timepoint,
            answered_on=date(2026, 4, day), raw_score=score,
            created_at=noon + timedelta(minutes=later),
        )  # fmt: skip
        for item, value in (answers or {}).items():
            Answer.objects.create(measure=made, item=item, value=value)
        return made

    with_closure = ReferralFactory(received_at=noon)
    measure(with_closure, whole, "baseline", 1, 10)
    measure(with_closure, whole, "review", 20, 30)  # later, but the closure wins
    measure(with_closure, whole, "closure", 10, 14)
    measure(with_closure, other, "review", 5, 99)  # another instrument: no baseline, no pair

    reviews_only = ReferralFactory(received_at=noon)
    measure(reviews_only, whole, "baseline", 1, 10)
    measure(reviews_only, whole, "review", 8, 12, later=5)
    measure(reviews_only, whole, "review", 8, 7, later=1)  # same day, recorded earlier
    measure(reviews_only, whole, "review", 3, 40)

    no_follow_up = ReferralFactory(received_at=noon)
    measure(no_follow_up, whole, "baseline", 1, 10)

    ons = ReferralFactory(received_at=noon)
    measure(ons, per_item, "baseline", 1, answers={happy: 4, anxious: 6})
    measure(ons, per_item, "review", 9, answers={happy: 7, anxious: 3})
    measure(ons, per_item, "review", 2, answers={happy: 1, anxious: 9})

    rollup_full()
    facts = {
        (f.referral_id, f.instrument_id, f.item_id): (f.baseline, f.follow_up, f.improved)
        for f in OutcomeFact.objects.all()
    }
    assert facts == {
        (with_closure.pk, whole.pk, None): (10, 14, True),
        (reviews_only.pk, whole.pk, None): (10, 12, True),
        (ons.pk, per_item.pk, happy.pk): (4, 7, True),
        (ons.pk, per_item.pk, anxious.pk): (6, 3, True),  # lower anxiety is better
    }
