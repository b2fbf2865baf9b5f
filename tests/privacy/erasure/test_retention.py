"""Retention: people whose every referral passed its retention period are erased each night.

The Teg Valley scheme's records, counted on 1 June 2030 (the RETENTION defaults: adults 8
years after closure; children until 25 (26 if 17 at closure) or 8 years after closure,
whichever is later; referrals never taken on 2 years).
"""

import io
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent
from privacy import tasks
from privacy.services import retention as retention_service
from privacy.services.retention import referral_retention, retention_apply, retention_due
from referrals.models import Person, Status
from tests.factories import PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

TODAY = date(2030, 6, 1)


def at(year, month, day):
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def today(monkeypatch):
    """Count as on TODAY: the job and the command count from the machine's date."""
    monkeypatch.setattr(retention_service, "_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def records(scheme, link_worker):
    """Who is due and who is not on TODAY."""

    def closed(person, received, closed_on, reference, **fields):
        return ReferralFactory(
            person=person, scheme=scheme, reference=reference, status=Status.CLOSED,
            link_worker=link_worker, received_at=received, closed_at=closed_on,
            closure_reason=fields.pop("closure_reason", "completed"), **fields,
        )  # fmt: skip

    adult_due = PersonFactory(given_name="Alun", date_of_birth=date(1950, 1, 1))
    closed(adult_due, at(2021, 1, 1), at(2022, 5, 31), "SP-ADULT01")
    adult_kept = PersonFactory(given_name="Bethan", date_of_birth=date(1950, 1, 1))
    closed(adult_kept, at(2022, 1, 1), at(2022, 6, 2), "SP-ADULT02")  # due 2 June 2030
    child_kept = PersonFactory(given_name="Cai", date_of_birth=date(2010, 1, 1))
    closed(child_kept, at(2018, 1, 1), at(2019, 1, 1), "SP-CHILD01")  # until 1 Jan 2035
    child_due = PersonFactory(given_name="Dilys", date_of_birth=date(2000, 1, 1))
    closed(child_due, at(2012, 1, 1), at(2012, 6, 1), "SP-CHILD02")  # 25 on 1 Jan 2025
    rejected = PersonFactory(given_name="Elin")
    ReferralFactory(person=rejected, scheme=scheme, reference="SP-NEVER01",
                    status=Status.REJECTED, received_at=at(2028, 1, 1),
                    rejected_at=at(2028, 1, 2))  # fmt: skip
    cancelled = PersonFactory(given_name="Ffion")
    ReferralFactory(person=cancelled, scheme=scheme, reference="SP-NEVER02",
                    status=Status.CANCELLED, received_at=at(2029, 1, 1),
                    cancelled_at=at(2029, 1, 2))  # fmt: skip
    still_open = PersonFactory(given_name="Gareth", date_of_birth=date(1950, 1, 1))
    closed(still_open, at(2010, 1, 1), at(2011, 1, 1), "SP-OPEN001")
    ReferralFactory(person=still_open, scheme=scheme, reference="SP-OPEN002",
                    status=Status.ALLOCATED, link_worker=link_worker)  # fmt: skip
    recent_too = PersonFactory(given_name="Heledd", date_of_birth=date(1950, 1, 1))
    closed(recent_too, at(2010, 1, 1), at(2011, 1, 1), "SP-MIXED01")
    ReferralFactory(person=recent_too, scheme=scheme, reference="SP-MIXED02",
                    status=Status.REJECTED, received_at=at(2029, 1, 1),
                    rejected_at=at(2029, 1, 2))  # fmt: skip
    return {"adult": adult_due, "child": child_due, "never_started": rejected}


def snapshot():
    return list(Person.objects.order_by("pk").values())


def test_it_finds_those_due_and_only_those(records, today):
    due = [
        (person_due.person.given_name, person_due.due_on,
         [(r.reference, r.kind, r.ended_on, r.due_on) for r in person_due.referrals])
        for person_due in retention_due(today=today)
    ]  # fmt: skip
    assert due == [
        ("Dilys", date(2025, 1, 1), [("SP-CHILD02", "child", date(2012, 6, 1), date(2025, 1, 1))]),
        ("Elin", date(2030, 1, 2),
         [("SP-NEVER01", "never_started", date(2028, 1, 2), date(2030, 1, 2))]),
        ("Alun", date(2030, 5, 31),
         [("SP-ADULT01", "adult", date(2022, 5, 31), date(2030, 5, 31))]),
    ]  # fmt: skip


def test_the_dry_run_lists_them_and_changes_nothing(records, today):
    before = snapshot()
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "SP-ADULT01  adult          closed 2022-05-31  due 2030-05-31" in text
    assert "SP-CHILD02  child          closed 2012-06-01  due 2025-01-01" in text
    assert "SP-NEVER01  never_started  closed 2028-01-02  due 2030-01-02" in text
    assert f"person {records['adult'].uuid} (due 2030-05-31)" in text
    assert "Alun" not in text  # names never go to the logs
    assert text.rstrip().endswith("3 people would be erased.")
    assert snapshot() == before
    assert not AuditEvent.objects.exists()


def test_applying_erases_them_through_the_erasure_door(records, today):
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert out.getvalue().rstrip().endswith("3 people erased.")
    erased = set(Person.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
    assert erased == {person.pk for person in records.values()}
    audits = AuditEvent.objects.filter(action=AuditEvent.Action.ERASE).order_by("pk")
    assert [audit.actor for audit in audits] == [None, None, None]
    assert [audit.detail for audit in audits] == [
        "person erased by the retention schedule: retention child: child, until the 25th "
        "birthday or 8 years after closure, whichever is later; SP-CHILD02 due 2025-01-01",
        "person erased by the retention schedule: retention never_started: never started, "
        "2 years after it ended; SP-NEVER01 due 2030-01-02",
        "person erased by the retention schedule: retention adult: adult, 8 years after "
        "closure; SP-ADULT01 due 2030-05-31",
    ]


def test_running_twice_changes_nothing_the_second_time(records, today):
    assert len(retention_apply(today=today)) == 3
    before, audits = snapshot(), AuditEvent.objects.count()
    assert retention_apply(today=today) == []
    assert snapshot() == before
    assert AuditEvent.objects.count() == audits


def test_the_periods_are_settings(records, today, settings):
    settings.RETENTION = {**settings.RETENTION, "adult": {"years": 10}}
    names = {due.person.given_name for due in retention_due(today=today)}
    assert names == {"Dilys", "Elin"}


def test_the_celery_task_runs_the_service(records, today):
    assert tasks.apply_retention.apply().get() == 3
    assert Person.objects.filter(erased_at__isnull=False).count() == 3
    assert tasks.apply_retention.apply().get() == 0


def test_the_job_runs_each_night(settings):
    job = settings.CELERY_BEAT_SCHEDULE["privacy-apply-retention"]
    assert job["task"] == tasks.apply_retention.name == "privacy.apply_retention"


def test_today_only_previews(records):
    with pytest.raises(CommandError, match="only previews"):
        call_command("apply_retention", "--today", "2030-06-01")
    with pytest.raises(CommandError, match="not a date"):
        call_command("apply_retention", "--dry-run", "--today", "soon")


# The rules, one referral at a time -------------------------------------------------


def retention(born, received, ended, status=Status.CLOSED, closure_reason="completed"):
    field = {Status.CLOSED: "closed_at", Status.REJECTED: "rejected_at",
             Status.CANCELLED: "cancelled_at"}[status]  # fmt: skip
    referral = ReferralFactory.build(
        status=status, received_at=received, closure_reason=closure_reason, **{field: ended}
    )
    return referral_retention(referral, born)


def test_an_adult_record_goes_8_years_after_closure():
    due = retention(date(1960, 1, 1), at(2019, 1, 1), at(2020, 3, 14))
    assert (due.kind, due.ended_on, due.due_on) == ("adult", date(2020, 3, 14), date(2028, 3, 14))


def test_a_leap_day_falls_due_on_the_28th_in_a_common_year():
    never = retention(None, at(2020, 1, 1), at(2020, 2, 29), status=Status.REJECTED)
    assert (never.kind, never.due_on) == ("never_started", date(2022, 2, 28))


def test_a_childs_record_waits_for_the_25th_birthday_or_8_years():
    due = retention(date(2000, 6, 1), at(2010, 1, 1), at(2010, 6, 1))
    assert (due.kind, due.due_on) == ("child", date(2025, 6, 1))
    later = retention(date(2000, 6, 1), at(2016, 1, 1), at(2020, 1, 1))  # 19 at closure
    assert later.due_on == date(2028, 1, 1)


def test_a_child_who_was_17_at_closure_waits_for_the_26th_birthday():
    due = retention(date(2000, 6, 1), at(2017, 7, 1), at(2018, 3, 1))
    assert due.due_on == date(2026, 6, 1)


def test_a_child_who_died_goes_8_years_after():
    due = retention(date(2010, 6, 1), at(2015, 1, 1), at(2015, 6, 1), closure_reason="deceased")
    assert due.due_on == date(2023, 6, 1)


def test_never_started_goes_after_2_years_and_a_live_referral_never():
    assert retention(None, at(2020, 1, 1), at(2020, 1, 9), status=Status.CANCELLED).due_on == (
        date(2022, 1, 9)
    )
    live = ReferralFactory.build(status=Status.IN_PROGRESS, received_at=at(2001, 1, 1))
    assert referral_retention(live, date(1960, 1, 1)) is None
