"""Glenys's outcomes page: each measure over time, the change since baseline, and when a
review falls due."""
# ruff: noqa: F811 (fixtures imported from outcome_people are a test's arguments)

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from linkworkers import selectors, services
from tests.factories import OutcomeMeasureFactory, ReferralFactory
from tests.linkworkers.outcome_people import (  # noqa: F401
    answers_by_order,
    carys,
    case,
    fast_password_hashing,
    gwen,
    in_english,
    instruments,
    llinos,
    scheme,
)

pytestmark = pytest.mark.django_db


def record(case, actor, instrument, timepoint, *values, days_ago=0):
    return services.outcome_record(
        referral=case, instrument=instrument, timepoint=timepoint, actor=actor,
        answers=answers_by_order(instrument, *values),
        answered_on=timezone.localdate() - timedelta(days=days_ago),
    )  # fmt: skip


def page(client, case):
    return client.get(reverse("linkworkers:outcomes", args=[case.uuid])).content.decode()


def test_a_case_with_no_measures_says_to_start_with_a_baseline(client, llinos, case, instruments):
    client.force_login(llinos)
    html = page(client, case)
    assert "No outcome measures have been recorded for this case yet" in html
    assert reverse("linkworkers:outcome_record", args=[case.uuid, "ons4", "baseline"]) in html


def test_the_change_since_baseline_is_shown_per_ons4_item_with_its_direction(
    client, llinos, case, instruments
):
    record(case, llinos, instruments["ons4"], "baseline", 4, 5, 6, 8, days_ago=20)
    record(case, llinos, instruments["ons4"], "review", 7, 5, 4, 3)
    client.force_login(llinos)
    html = page(client, case)
    assert "Life satisfaction: 4 → 7" in html and "(+3, better)" in html
    assert "Worthwhile: 5 → 5" in html and "(0, no change)" in html
    assert "Happiness: 6 → 4" in html and "(-2, worse)" in html
    # Less anxious is better.
    assert "Anxiety: 8 → 3" in html and "(-5, better)" in html


def test_a_lower_ucla_total_is_better(llinos, case, instruments):
    record(case, llinos, instruments["ucla3"], "baseline", 3, 3, 2, days_ago=20)
    record(case, llinos, instruments["ucla3"], "review", 2, 2, 1)
    [ucla] = selectors.outcomes_for_case(case)
    [total] = ucla.lines
    assert (total.first, total.latest, total.latest_change.signed) == (8, 5, "-3")
    assert total.latest_change.better


def test_the_closure_measure_is_compared_with_the_baseline(llinos, case, instruments):
    direct = instruments["loneliness-direct"]
    record(case, llinos, direct, "baseline", 2, days_ago=30)
    record(case, llinos, direct, "review", 3, days_ago=10)
    record(case, llinos, direct, "closure", 1)
    [result] = selectors.outcomes_for_case(case)
    assert [m.timepoint for m in result.measures] == ["baseline", "review", "closure"]
    change = result.lines[0].latest_change
    assert (change.signed, change.better, change.worse) == ("-1", False, True)
    assert [c.signed if c else None for c in result.lines[0].changes] == [None, "+1", "-1"]


def test_a_review_without_a_baseline_shows_no_change(client, llinos, case, instruments):
    record(case, llinos, instruments["ons4"], "review", 7, 5, 4, 3)
    client.force_login(llinos)
    html = page(client, case)
    assert "No baseline was recorded for this instrument, so no change can be shown." in html
    assert 'data-testid="changes"' not in html and ", better)" not in html


def test_the_record_links_follow_the_case(client, llinos, case, instruments):
    record(case, llinos, instruments["ons4"], "baseline", 4, 5, 6, 8)
    client.force_login(llinos)
    html = page(client, case)
    link = lambda code, tp: reverse("linkworkers:outcome_record", args=[case.uuid, code, tp])  # noqa: E731
    assert link("ons4", "baseline") not in html
    assert link("ons4", "review") in html and link("ucla3", "baseline") in html
    assert link("ons4", "closure") in html
    case.status = "allocated"
    case.save()
    assert link("ucla3", "closure") not in page(client, case)


def test_nothing_may_be_recorded_before_a_link_worker_holds_the_case(
    carys, gwen, scheme, instruments
):
    received = ReferralFactory(scheme=scheme, referring_organisation=gwen.organisation)
    assert selectors.outcome_choices_for_case(received, []) == []


def test_viewing_the_page_is_audited(client, carys, case, instruments):
    client.force_login(carys)
    page(client, case)
    audit = AuditEvent.objects.get(action="view")
    assert (audit.actor, audit.object_id, audit.detail) == (
        carys, str(case.person.uuid), f"outcomes of referral {case.reference}",
    )  # fmt: skip


def _page_queries(client, case):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("linkworkers:outcomes", args=[case.uuid])).status_code == 200
    return len(queries)


def test_the_page_query_count_does_not_grow_with_the_measures(client, llinos, case, instruments):
    client.force_login(llinos)
    record(case, llinos, instruments["ons4"], "baseline", 4, 5, 6, 8, days_ago=35)
    few = _page_queries(client, case)
    record(case, llinos, instruments["ucla3"], "baseline", 3, 3, 2, days_ago=35)
    record(case, llinos, instruments["loneliness-direct"], "baseline", 2, days_ago=35)
    for days_ago in (30, 20, 10):
        record(case, llinos, instruments["ons4"], "review", 5, 5, 6, 7, days_ago=days_ago)
        record(case, llinos, instruments["ucla3"], "review", 2, 2, 2, days_ago=days_ago)
    record(case, llinos, instruments["ons4"], "closure", 7, 7, 7, 2)
    assert _page_queries(client, case) == few


def test_the_selector_takes_three_queries(django_assert_num_queries, llinos, case, instruments):
    record(case, llinos, instruments["ons4"], "baseline", 4, 5, 6, 8, days_ago=20)
    record(case, llinos, instruments["ucla3"], "baseline", 3, 3, 2, days_ago=20)
    record(case, llinos, instruments["ons4"], "review", 5, 5, 6, 7)
    with django_assert_num_queries(3):
        results = selectors.outcomes_for_case(case)
        [r.rows for r in results]


# When the review falls due (for the caseload page and its reminders).


def test_a_review_falls_due_12_weeks_after_the_baseline(case, instruments):
    OutcomeMeasureFactory(referral=case, answered_on=date(2026, 1, 5))
    assert selectors.outcome_review_due_on(case) == date(2026, 3, 30)


def test_the_interval_is_a_setting(case, instruments, settings):
    settings.OUTCOME_REVIEW_WEEKS = 8
    OutcomeMeasureFactory(referral=case, answered_on=date(2026, 1, 5))
    assert selectors.outcome_review_due_on(case) == date(2026, 3, 2)


def test_nothing_is_due_without_a_baseline(case):
    OutcomeMeasureFactory(referral=case, timepoint="review", answered_on=date(2026, 1, 5))
    assert selectors.outcome_review_due_on(case) is None


def test_nothing_is_due_once_the_review_is_done(case):
    baseline = OutcomeMeasureFactory(referral=case, answered_on=date(2026, 1, 5))
    OutcomeMeasureFactory(
        referral=case, instrument=baseline.instrument, timepoint="review",
        answered_on=date(2026, 3, 30),
    )  # fmt: skip
    assert selectors.outcome_review_due_on(case) is None


def test_the_earliest_baseline_counts(case):
    OutcomeMeasureFactory(referral=case, answered_on=date(2026, 2, 2))
    OutcomeMeasureFactory(referral=case, answered_on=date(2026, 1, 5))
    assert selectors.outcome_review_due_on(case) == date(2026, 3, 30)


def test_due_dates_for_a_whole_caseload_take_one_query(django_assert_num_queries, case):
    others = ReferralFactory.create_batch(3)
    for n, referral in enumerate([case, *others]):
        OutcomeMeasureFactory(referral=referral, answered_on=date(2026, 1, 5 + n))
    with django_assert_num_queries(1):
        due = selectors.outcome_reviews_due_on([case.pk] + [r.pk for r in others])
    assert due[case.pk] == date(2026, 3, 30) and due[others[2].pk] == date(2026, 4, 2)
