"""Llinos's caseload: what is due next on each case, overdue first; counts, filters, speed."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linkworkers.selectors import add_working_days, caseload_for
from referrals.models import Status
from tests.factories import (
    ConnectionFactory,
    ContactFactory,
    GoalFactory,
    OutcomeMeasureFactory,
    ReferralFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 4)  # a Wednesday


def _at(day: date):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=10))


@pytest.fixture
def open_case(scheme, link_worker):
    def make(status=Status.IN_PROGRESS, name="Aled", **fields):
        return ReferralFactory(scheme=scheme, link_worker=link_worker, status=status,
                               person__given_name=name, **fields)  # fmt: skip

    return make


def _due(user, **filters):
    return {
        row.referral.person.given_name: [(i.kind, i.on, i.overdue) for i in row.due]
        for row in caseload_for(user, today=TODAY, **filters).rows
    }


def test_working_days_skip_weekends():
    assert add_working_days(date(2026, 3, 4), 5) == date(2026, 3, 11)  # Wed -> next Wed
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Fri -> Mon
    assert add_working_days(date(2026, 3, 7), 5) == date(2026, 3, 13)  # Sat -> Fri


def test_working_days_skip_bank_holidays():
    easter = frozenset({date(2026, 4, 3), date(2026, 4, 6)})  # Good Friday, Easter Monday
    assert add_working_days(date(2026, 4, 2), 1, easter) == date(2026, 4, 7)  # Thu -> Tue
    assert add_working_days(date(2026, 4, 1), 5, easter) == date(2026, 4, 10)


def test_first_contact_due_skips_the_bank_holidays_on_record(link_worker, open_case):
    # Allocated on the Wednesday before Easter 2026 (the migration's list): Thursday, then
    # Tuesday to Friday are the five working days.
    open_case(Status.ALLOCATED, "Dylan", allocated_at=_at(date(2026, 4, 1)))
    assert _due(link_worker) == {"Dylan": [("first_contact", date(2026, 4, 10), False)]}


def test_first_contact_is_due_five_working_days_after_allocation(link_worker, open_case):
    open_case(Status.ALLOCATED, "Bethan", allocated_at=_at(date(2026, 3, 2)))
    open_case(Status.ALLOCATED, "Cerys", allocated_at=_at(date(2026, 2, 23)))
    assert _due(link_worker) == {
        "Cerys": [("first_contact", date(2026, 3, 2), True)],
        "Bethan": [("first_contact", date(2026, 3, 9), False)],
    }


def test_the_setting_moves_the_first_contact_due_date(link_worker, open_case, settings):
    settings.FIRST_CONTACT_DUE_DAYS = 2
    open_case(Status.ALLOCATED, "Bethan", allocated_at=_at(date(2026, 3, 2)))
    assert _due(link_worker)["Bethan"] == [("first_contact", date(2026, 3, 4), False)]


def test_a_follow_up_comes_from_the_latest_contact(link_worker, open_case):
    case = open_case(name="Dylan")
    ContactFactory(referral=case, happened_at=_at(date(2026, 2, 1)),
                   next_contact_on=date(2026, 2, 8))  # fmt: skip
    ContactFactory(referral=case, happened_at=_at(date(2026, 2, 8)),
                   next_contact_on=date(2026, 3, 10))  # fmt: skip
    assert _due(link_worker)["Dylan"] == [("follow_up", date(2026, 3, 10), False)]


def test_a_hold_brings_its_review_date(link_worker, open_case):
    open_case(Status.ON_HOLD, "Eleri", hold_review_date=date(2026, 3, 1))
    assert _due(link_worker)["Eleri"] == [("review", date(2026, 3, 1), True)]


def test_the_earliest_open_goal_target_counts(link_worker, open_case):
    case = open_case(name="Ffion")
    GoalFactory(referral=case, target_date=date(2026, 3, 20))
    GoalFactory(referral=case, target_date=date(2026, 3, 6), status="in_progress")
    GoalFactory(referral=case, target_date=date(2026, 3, 5), status="achieved")
    GoalFactory(referral=case, target_date=None)
    assert _due(link_worker)["Ffion"] == [("goal", date(2026, 3, 6), False)]


def test_overdue_first_then_soonest_then_nothing_due(link_worker, open_case):
    open_case(name="Nothing")
    soon = open_case(name="Soon")
    GoalFactory(referral=soon, target_date=date(2026, 3, 5))
    later = open_case(name="Later")
    GoalFactory(referral=later, target_date=date(2026, 4, 1))
    open_case(Status.ON_HOLD, "Late", hold_review_date=date(2026, 3, 3))
    open_case(Status.ON_HOLD, "Later still", hold_review_date=date(2026, 2, 1))
    assert list(_due(link_worker)) == ["Later still", "Late", "Soon", "Later", "Nothing"]


def test_the_counts(link_worker, open_case):
    open_case(Status.ALLOCATED, "A", allocated_at=_at(date(2026, 2, 1)))
    open_case(Status.ALLOCATED, "B", allocated_at=_at(date(2026, 3, 3)))
    open_case(Status.ON_HOLD, "C", hold_review_date=date(2026, 3, 20))
    open_case(Status.IN_PROGRESS, "D")
    open_case(Status.CLOSED, "Closed")
    caseload = caseload_for(link_worker, today=TODAY, status=Status.ON_HOLD)
    assert (caseload.open_cases, caseload.overdue, caseload.first_contacts_due,
            caseload.on_hold) == (4, 1, 2, 1)  # fmt: skip
    assert [row.referral.person.given_name for row in caseload.rows] == ["C"]


def test_the_due_filters(link_worker, open_case):
    open_case(Status.ON_HOLD, "Overdue", hold_review_date=date(2026, 3, 3))
    open_case(Status.ON_HOLD, "Today", hold_review_date=TODAY)
    open_case(Status.ON_HOLD, "In six days", hold_review_date=date(2026, 3, 10))
    open_case(Status.ON_HOLD, "In a week", hold_review_date=date(2026, 3, 11))
    assert list(_due(link_worker, due="overdue")) == ["Overdue"]
    assert list(_due(link_worker, due="week")) == ["Today", "In six days"]
    assert len(_due(link_worker)) == 4


def test_the_page_filters_by_status_and_due(client, link_worker, open_case):
    open_case(Status.ALLOCATED, "Allocated")
    open_case(Status.ON_HOLD, "Held", hold_review_date=timezone.localdate() - timedelta(days=1))
    client.force_login(link_worker)
    url = reverse("linkworkers:caseload")
    rows = client.get(url, {"status": "allocated"}).context["caseload"].rows
    assert [row.referral.person.given_name for row in rows] == ["Allocated"]
    rows = client.get(url, {"due": "overdue", "status": ""}).context["caseload"].rows
    assert [row.referral.person.given_name for row in rows] == ["Held"]


def test_an_unknown_filter_shows_everything_and_says_so(client, link_worker, open_case):
    open_case()
    client.force_login(link_worker)
    response = client.get(reverse("linkworkers:caseload"), {"due": "someday"})
    assert "Select a valid choice." in str(response.context["filters"].errors["due"])
    assert len(response.context["caseload"].rows) == 1


def test_other_link_workers_cases_are_not_hers(link_worker, other_link_worker, scheme):
    ReferralFactory(scheme=scheme, link_worker=other_link_worker, status=Status.IN_PROGRESS)
    assert caseload_for(link_worker).rows == []


def test_the_coordinator_sees_the_scheme_and_filters_by_link_worker(
    client, coordinator, link_worker, other_link_worker, open_case
):
    open_case(name="Llinos's")
    ReferralFactory(scheme=link_worker.organisation, link_worker=other_link_worker,
                    status=Status.IN_PROGRESS, person__given_name="Dafydd's")  # fmt: skip
    ReferralFactory(status=Status.IN_PROGRESS, person__given_name="Another scheme's",
                    link_worker=UserFactory(role="link_worker"))  # fmt: skip
    client.force_login(coordinator)
    url = reverse("linkworkers:caseload")
    response = client.get(url)
    names = sorted(row.referral.person.given_name for row in response.context["caseload"].rows)
    assert names == ["Dafydd's", "Llinos's"]
    choices = response.context["filters"].fields["link_worker"].queryset
    assert set(choices) == {link_worker, other_link_worker}
    rows = client.get(url, {"link_worker": other_link_worker.pk}).context["caseload"].rows
    assert [row.referral.person.given_name for row in rows] == ["Dafydd's"]


def test_the_link_worker_filter_takes_only_the_schemes_link_workers(
    client, coordinator, outsider_coordinator, open_case
):
    open_case()
    client.force_login(coordinator)
    response = client.get(reverse("linkworkers:caseload"), {"link_worker": outsider_coordinator.pk})
    assert "link_worker" in response.context["filters"].errors


def test_link_workers_get_no_link_worker_filter(client, link_worker):
    client.force_login(link_worker)
    response = client.get(reverse("linkworkers:caseload"))
    assert "link_worker" not in response.context["filters"].fields


def test_the_caseload_rejects_post(client, link_worker):
    client.force_login(link_worker)
    assert client.post(reverse("linkworkers:caseload")).status_code == 405


def test_the_query_count_does_not_grow_with_200_cases(
    client, link_worker, open_case, django_assert_num_queries
):
    def add(n):
        for i in range(n):
            case = open_case([Status.ALLOCATED, Status.IN_PROGRESS, Status.ON_HOLD][i % 3],
                             hold_review_date=TODAY, allocated_at=timezone.now())  # fmt: skip
            ContactFactory(referral=case, next_contact_on=TODAY)
            GoalFactory(referral=case, target_date=TODAY)

    add(2)
    client.force_login(link_worker)
    url = reverse("linkworkers:caseload")
    client.get(url)  # the first request after signing in also updates last_login
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(198)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.context["caseload"].open_cases == 200
    # No case on hold is due this week: the audit row names no one (on PostgreSQL the row and
    # the people it names are one statement; elsewhere one insert fewer).
    with CaptureQueriesContext(connection) as filtered:
        client.get(url, {"status": "on_hold", "due": "week"})
    assert len(filtered.captured_queries) <= len(few.captured_queries)


def test_the_home_page_shows_the_caseload(client, link_worker, open_case):
    case = open_case(Status.ALLOCATED, "Glenys", allocated_at=timezone.now())
    client.force_login(link_worker)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert "<h1>Your caseload</h1>" in html
    assert reverse("linkworkers:case", args=[case.uuid]) in html
    assert reverse("linkworkers:caseload") in html
    assert response.context["caseload"].first_contacts_due == 1


def test_an_outcome_review_is_due_twelve_weeks_after_the_baseline(link_worker, open_case):
    case = open_case(Status.IN_PROGRESS, "Dewi")
    OutcomeMeasureFactory(referral=case, timepoint="baseline", answered_on=date(2025, 12, 1))
    assert _due(link_worker)["Dewi"] == [("outcome", date(2026, 2, 23), True)]


def test_a_recorded_review_clears_the_outcome_due(link_worker, open_case):
    case = open_case(Status.IN_PROGRESS, "Dewi")
    baseline = OutcomeMeasureFactory(
        referral=case, timepoint="baseline", answered_on=date(2025, 12, 1)
    )
    OutcomeMeasureFactory(
        referral=case, instrument=baseline.instrument, timepoint="review",
        answered_on=date(2026, 2, 25),
    )  # fmt: skip
    assert _due(link_worker)["Dewi"] == []


def test_a_referral_awaiting_the_providers_answer_is_due_a_week_after_it_went(
    link_worker, open_case
):
    case = open_case(Status.IN_PROGRESS, "Eleri")
    ConnectionFactory(referral=case, status="referred", referred_at=_at(date(2026, 3, 1)))
    ConnectionFactory(referral=case, status="accepted", referred_at=_at(date(2026, 1, 1)))
    assert _due(link_worker)["Eleri"] == [("connection", date(2026, 3, 8), False)]
