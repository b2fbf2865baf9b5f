"""Shares, rates, means, the order of rows and the sentences: worked out from the counts as
published, so that none of them gives back a count the table hides (README, "Statistics")."""

import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from reporting.models import ReferralFact
from reporting.selectors import Filters, dashboard_tables, headline_figures, reporting_scope_for
from reporting.services import rollup_full
from reporting.tables import SUPPRESSED, Tally, leaders, publish_count, rank_value, share
from tests.factories import (
    InstrumentFactory,
    OrganisationFactory,
    OutcomeMeasureFactory,
    PersonFactory,
    ReferralFactory,
    UserFactory,
)
from tests.reporting.differencing import Inverse

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
IN_MARCH = Filters(start=MARCH, end=MARCH)


@pytest.fixture
def close_call(scheme, upper, lower):
    """March 2026: 12 referrals from a GP practice in Upper Teg (women, lonely), in the week of
    2 March; 11 from housing in Lower Teg (men, money worries), in the week of 9 March. Exact
    counts put Upper Teg, GPs, loneliness and women first; rounded to 5 they tie at 10."""
    made = []
    for count, area, source, reason, gender, first_day in (
        (12, upper, "gp", "loneliness", "female", 2),
        (11, lower, "housing", "money", "male", 9),
    ):
        practice = OrganisationFactory(area=area)
        referrer = UserFactory(organisation=practice)
        for n in range(count):
            made.append(
                ReferralFactory(
                    uuid=uuid.UUID(int=len(made) + 1),
                    person=PersonFactory(gender=gender),
                    scheme=scheme,
                    source_kind=source,
                    reasons=[reason],
                    referring_organisation=practice,
                    referring_user=referrer,
                    area=area,
                    received_at=datetime(2026, 3, first_day + n % 5, 12, tzinfo=UTC),
                )
            )
    return made


def tables_for(user, filters=IN_MARCH, suppress=None):
    rollup_full()
    scope = reporting_scope_for(user)
    found = dashboard_tables(scope=scope, filters=filters, suppress=suppress)
    return {table.key: table for table in found}


def labels(table):
    return [str(row[0]) for row in table.rows]


def shown_share(part, whole):
    if part is SUPPRESSED or whole is SUPPRESSED or part is None or whole is None:
        return None
    return share(part, whole)


# The order of rows and the sentences -----------------------------------------------------


def test_counts_that_show_the_same_are_ordered_by_name(close_call, commissioner, settings):
    settings.STATISTICS_PERTURBATION = False
    tables = tables_for(commissioner)
    # 12 and 11 both show as 10: the order must not say which was larger.
    assert labels(tables["referrals_by_area"]) == ["Lower Teg", "Upper Teg"]
    assert [row[1] for row in tables["referrals_by_area"].rows] == [10, 10]


def test_sentences_name_no_largest_when_the_figures_shown_tie(close_call, commissioner, settings):
    settings.STATISTICS_PERTURBATION = False
    tables = tables_for(commissioner)
    assert tables["referrals_by_month"].sentence == (
        "25 referrals were received from March 2026 to March 2026."
    )  # no "The largest source was ..."
    assert tables["reasons"].sentence == (
        "Loneliness and isolation, Money worries had the most referrals, equally."
    )
    assert tables["gender"].sentence == "Female, Male had the most referrals, equally."
    assert tables["referrals_by_week"].sentence == (
        "2 weeks were equally the busiest; the first began on 2 Mar 2026."
    )


def test_the_manager_still_sees_the_exact_order_of_their_own_scheme(close_call, coordinator):
    tables = tables_for(coordinator)
    assert labels(tables["referrals_by_area"]) == ["Upper Teg", "Lower Teg"]
    assert "The largest source was GP practice." in tables["referrals_by_month"].sentence
    assert tables["gender"].sentence == "The gender recorded most often was Female."


def test_with_the_noise_rows_follow_the_figures_shown_then_the_name(
    close_call, known_data, commissioner
):
    tables = tables_for(commissioner)
    for key in (
        "referrals_by_area",
        "referrals_by_scheme",
        "unmet_needs",
        "connections_by_category",
    ):
        rows = tables[key].rows
        order = [(-rank_value(row[1]), str(row[0])) for row in rows]
        assert order == sorted(order), key
    reasons = tables["reasons"]
    most = leaders(reasons.rows, 1)
    if len(most) == 1:
        assert most[0] in reasons.sentence
    else:
        assert not any(
            str(row[0]) in reasons.sentence for row in reasons.rows if str(row[0]) not in most
        )


# Shares and rates ------------------------------------------------------------------------


def test_every_share_is_worked_out_from_the_counts_shown(close_call, known_data, commissioner):
    tables = tables_for(commissioner, Filters(start=MARCH, end=date(2026, 4, 1)))
    funnel = tables["funnel"].rows
    received = funnel[0][1]
    for index, row in enumerate(funnel):
        assert row[2] == shown_share(row[1], received)
        assert row[3] == (shown_share(row[1], funnel[index - 1][1]) if index else None)
    for key in ("reasons", "age_bands", "gender", "ethnic_groups", "deprivation"):
        for row in tables[key].rows:
            assert row[2] == shown_share(row[1], received), (key, row)
    for row in tables["outcomes"].rows:
        assert row[3] == shown_share(row[2], row[1])
    for row in tables["caseload"].rows:
        assert row[3] == shown_share(row[1], row[2])
        # Two link workers, March and April (61 days) passed: scaled to 365 days, shared by two.
        expected = None if row[4] is SUPPRESSED else Decimal(row[4]) * 365 / 61 / 2
        assert row[5] == (None if expected is None else expected.quantize(Decimal("0.1")))


def test_referrals_per_year_are_worked_out_from_the_count_shown(
    scheme, upper, llinos, commissioner
):
    """Twelve allocations in March, read on 16 March: per year over the 16 days elapsed, from
    the count as shown (10 or 15), never from the twelve."""
    practice = OrganisationFactory(area=upper)
    allocated = [
        ReferralFactory(
            uuid=uuid.UUID(int=900 + n), scheme=scheme, area=upper,
            referring_organisation=practice, received_at=datetime(2026, 3, 2 + n, tzinfo=UTC),
            allocated_at=datetime(2026, 3, 2 + n, tzinfo=UTC), status="allocated",
            link_worker=llinos.user,
        )
        for n in range(12)
    ]  # fmt: skip
    scope = reporting_scope_for(commissioner)
    filters = Filters(start=MARCH, end=MARCH, area_ids=set(scope.area_ids), today=date(2026, 3, 16))
    (row,) = tables_for(commissioner, filters)["caseload"].rows
    keys = sum(ReferralFact.objects.filter(referral_id__in=[r.pk for r in allocated])
               .values_list("record_key", flat=True))  # fmt: skip
    assert row[4] == publish_count(Tally(12, keys)) in (10, 15)
    assert row[5] == (Decimal(row[4]) * 365 / 16).quantize(Decimal("0.1"))


# The headline figures and their change ---------------------------------------------------


def test_the_headline_and_its_change_come_from_the_figures_shown(
    close_call, scheme, upper, commissioner
):
    """23 referrals in March against 9 in February: each published from its own records (the
    noise of the same referrals as in the funnel), and the change is the difference of the
    two figures shown."""
    practice = OrganisationFactory(area=upper)
    february = [
        ReferralFactory(uuid=uuid.UUID(int=700 + n), scheme=scheme, area=upper,
                        referring_organisation=practice,
                        received_at=datetime(2026, 2, 2 + n, 12, tzinfo=UTC))
        for n in range(9)
    ]  # fmt: skip
    scope = reporting_scope_for(commissioner)
    filters = Filters(start=MARCH, end=MARCH, area_ids=set(scope.area_ids), today=date(2026, 7, 1))
    tables = tables_for(commissioner, filters)
    headline = headline_figures(
        scope=scope, filters=filters, tables=list(tables.values()), suppress=True
    )
    referrals = next(figure for figure in headline.figures if figure.key == "referrals")

    def published(month, records):
        keys = ReferralFact.objects.filter(month=month).values_list("record_key", flat=True)
        return publish_count(Tally(len(records), sum(keys)))

    assert referrals.value == published(MARCH, close_call) == tables["funnel"].rows[0][1]
    assert referrals.previous == published(date(2026, 2, 1), february)
    assert referrals.value in (20, 25) and referrals.previous in (5, 10)
    assert referrals.change == referrals.value - referrals.previous


def test_a_hidden_count_leaves_no_share_of_capacity_to_solve_it_from(
    known_data, coordinator, settings
):
    """The issue's example: "<5 | 36.0" gave 3 back. In a download (hidden counts, even for
    the manager) Llinos's one open case of 10 and her two allocations leave no share, no rate."""
    settings.STATISTICS_PERTURBATION = False
    tables = tables_for(coordinator, Filters(start=MARCH, end=date(2026, 4, 1)), suppress=True)
    llinos = next(row for row in tables["caseload"].rows if row[0] == "Llinos Watkins")
    assert llinos == ["Llinos Watkins", SUPPRESSED, 10, None, SUPPRESSED, None]
    # On her own page the manager sees them exactly, as before.
    exact = tables_for(coordinator, Filters(start=MARCH, end=date(2026, 4, 1)))
    llinos = next(row for row in exact["caseload"].rows if row[0] == "Llinos Watkins")
    assert llinos == ["Llinos Watkins", 1, 10, Decimal("10.0"), 2, Decimal("12.0")]


# Means and medians -----------------------------------------------------------------------


@pytest.fixture
def outcomes(scheme):
    """Fourteen people with a UCLA baseline and closure score in March (changes -3 to 2, mean
    -0.5), and four on another scale: too few for a mean."""
    ucla = InstrumentFactory(code="ucla-m", name="UCLA", scoring="sum", higher_is_better=False)
    few = InstrumentFactory(code="few-m", name="Few", scoring="sum", higher_is_better=True)
    changes = [-3, -2, -1, 0, 1, 2, -3, -2, -1, 0, 1, 2, -1, 0]
    for n, change in enumerate(changes):
        referral = ReferralFactory(
            uuid=uuid.UUID(int=500 + n),
            scheme=scheme,
            received_at=datetime(2026, 3, 2 + n, 12, tzinfo=UTC),
        )
        for instrument in [ucla] + ([few] if n < 4 else []):
            OutcomeMeasureFactory(
                referral=referral, instrument=instrument, timepoint="baseline",
                answered_on=date(2026, 3, 20), raw_score=10,
            )  # fmt: skip
            OutcomeMeasureFactory(
                referral=referral, instrument=instrument, timepoint="closure",
                answered_on=date(2026, 4, 20), raw_score=10 + change,
            )  # fmt: skip
    return changes


def test_a_mean_over_too_few_people_is_withheld(outcomes, commissioner):
    rows = {row[0]: row for row in tables_for(commissioner)["outcomes"].rows}
    assert rows["Few"][5] is None  # four people, whatever the noise
    assert rows["UCLA"][1] in (10, 15)  # fourteen, give or take the noise, rounded
    assert rows["UCLA"][5] == Decimal("-0.5")  # one place only


def test_the_mean_cannot_be_used_to_solve_for_the_number_of_people(outcomes, commissioner):
    """A mean to two places beside its count let a reader try each count the rounding allows
    and keep the one whose sum is a whole number. To one place over 10 or more, several fit."""
    ucla = next(row for row in tables_for(commissioner)["outcomes"].rows if row[0] == "UCLA")
    shown, mean = ucla[1], ucla[5]
    low, high = Inverse()(shown)
    fitting = [
        people
        for people in range(max(low, 1), high + 1)
        if any(
            (Decimal(total) / people).quantize(Decimal("0.1"), ROUND_HALF_EVEN) == mean
            for total in range(-5 * people, 5 * people + 1)
        )
    ]
    assert len(fitting) > 1
    assert len(outcomes) in fitting


def test_the_median_wait_needs_ten_people_as_shown(known_data, commissioner):
    waiting = {
        row[0]: row[1]
        for row in tables_for(commissioner, Filters(start=MARCH, end=date(2026, 4, 1)))[
            "waiting"
        ].rows
    }
    assert waiting["Median wait (days)"] is None  # three first contacts
    assert waiting["90th percentile wait (days)"] is None


def test_a_total_is_published_from_its_own_records(close_call, commissioner):
    """Not by adding the rows as shown: its noise comes from all its records' keys, so the
    same referrals show the same total in every table that counts them."""
    tables = tables_for(commissioner)
    keys = sum(ReferralFact.objects.filter(month=MARCH).values_list("record_key", flat=True))
    total = publish_count(Tally(len(close_call), keys))
    assert tables["referrals_by_area"].total[1] == total
    assert tables["funnel"].rows[0][1] == total
    assert tables["gender"].total[1] == total
