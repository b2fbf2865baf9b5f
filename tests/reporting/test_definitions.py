"""The definitions the dashboard shares (README, Statistics), each worked out by hand.

Small data sets of their own, one per definition, at the Teg Valley scheme of
conftest.py (Carys manages it; Catrin commissions for the Teg board, whose
areas are Upper and Lower Teg). Tables are read exactly (suppress=False) where
a definition is checked, so that the hand counts are the figures.
"""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Area
from linkworkers.services import contact_log
from reporting.models import ConnectionFact
from reporting.selectors import Filters, dashboard_tables, reporting_scope_for
from reporting.services import rollup_full
from tests.factories import (
    AreaFactory,
    ConnectionFactory,
    LinkWorkerFactory,
    OrganisationFactory,
    ProviderFactory,
    ReferralFactory,
    ServiceFactory,
    TaxonomyTermFactory,
    UnmetNeedFactory,
    UserFactory,
)
from tests.reporting.conftest import at

pytestmark = pytest.mark.django_db

MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
SUMMER = date(2026, 7, 1)  # long after the periods below: every month is whole


def tables_for(user, suppress=False, **filters):
    filters.setdefault("start", MARCH)
    filters.setdefault("end", APRIL)
    filters.setdefault("today", SUMMER)
    scope = reporting_scope_for(user)
    # As the dashboard's form does: with no area chosen, the reader's whole scope.
    filters.setdefault("area_ids", set(scope.area_ids))
    return {
        table.key: table
        for table in dashboard_tables(scope=scope, filters=Filters(**filters), suppress=suppress)
    }


def rows(table):
    return {row[0]: row[1:] for row in table.rows}


def column(table, key):
    index = table.column_keys().index(key)
    return {row[0]: row[index] for row in table.rows}


# The funnel: nested, and "completed" only after "connected" -----------------


@pytest.fixture
def funnel_data(scheme, upper, llinos, dafydd):
    """A: every stage. B: contacted, never connected, closed completed. C: a provider
    accepted a connection before anyone reached the person (no first contact). D: rejected."""
    practice = OrganisationFactory(area=upper)

    def referral(**fields):
        return ReferralFactory(scheme=scheme, area=upper, referring_organisation=practice,
                               received_at=at(2026, 3, 2), **fields)  # fmt: skip

    a = referral(
        accepted_at=at(2026, 3, 3), allocated_at=at(2026, 3, 4), first_contact_at=at(2026, 3, 5),
        status="closed", closure_reason="completed", closed_at=at(2026, 4, 20),
        link_worker=llinos.user,
    )  # fmt: skip
    ConnectionFactory(referral=a, status="completed", answered_at=at(2026, 3, 10),
                      referred_at=at(2026, 3, 9), ended_at=at(2026, 4, 19))  # fmt: skip
    referral(
        accepted_at=at(2026, 3, 3), allocated_at=at(2026, 3, 4), first_contact_at=at(2026, 3, 6),
        status="closed", closure_reason="completed", closed_at=at(2026, 4, 2),
        link_worker=llinos.user,
    )  # fmt: skip
    c = referral(
        accepted_at=at(2026, 3, 3), allocated_at=at(2026, 3, 4), status="allocated",
        link_worker=dafydd.user,
    )  # fmt: skip
    ConnectionFactory(referral=c, status="accepted", answered_at=at(2026, 3, 12),
                      referred_at=at(2026, 3, 11))  # fmt: skip
    referral(rejected_at=at(2026, 3, 3), status="rejected", rejection_reason="not_eligible")
    rollup_full()


def test_each_stage_of_the_funnel_is_part_of_the_one_before(funnel_data, coordinator):
    funnel = rows(tables_for(coordinator)["funnel"])
    # Received A B C D; accepted and allocated A B C; first contact A B; connected A only
    # (C's connection came before any contact); then closed as completed: A.
    assert funnel == {
        "Received": [4, Decimal("100.0"), None],
        "Accepted": [3, Decimal("75.0"), Decimal("75.0")],
        "Allocated to a link worker": [3, Decimal("75.0"), Decimal("100.0")],
        "First contact made": [2, Decimal("50.0"), Decimal("66.7")],
        "Connected to a service": [1, Decimal("25.0"), Decimal("50.0")],
        "Connected, then closed as completed": [1, Decimal("25.0"), Decimal("100.0")],
    }
    counts = [stage[0] for stage in funnel.values()]
    assert counts == sorted(counts, reverse=True)


def test_closed_as_completed_without_a_connection_is_shown_beside_the_funnel(
    funnel_data, coordinator
):
    funnel = tables_for(coordinator)["funnel"]
    # A and B were closed as completed; only A was connected, so only A is in the funnel.
    assert "Closed as completed, whether connected to a service or not: 2." in funnel.notes[1]
    assert "each is a part of the one above" in funnel.notes[1]


# Connections under every category of the service, like unmet needs --------------


@pytest.fixture
def category_data(scheme, upper, llinos):
    """A service in two categories (Allotments under Gardening, and Befriending), an arts
    group, and an unmet need for telephone befriending (under Befriending)."""
    gardening = TaxonomyTermFactory(name="Gardening")
    allotments = TaxonomyTermFactory(name="Allotments", parent=gardening)
    befriending = TaxonomyTermFactory(name="Befriending")
    phone_friends = TaxonomyTermFactory(name="Telephone befriending", parent=befriending)
    arts = TaxonomyTermFactory(name="Arts")
    green = ServiceFactory(name="Green befrienders", provider=ProviderFactory(name="Green"))
    # Listed under a category and its parent too: one top, counted once there.
    green.taxonomy_terms.add(allotments, gardening, befriending)
    painting = ServiceFactory(name="Painting together", provider=ProviderFactory(name="Paint"))
    painting.taxonomy_terms.add(arts)
    uncategorised = ServiceFactory(name="Drop-in", provider=ProviderFactory(name="Drop"))
    practice = OrganisationFactory(area=upper)

    def case():
        return ReferralFactory(
            scheme=scheme, area=upper, referring_organisation=practice,
            received_at=at(2026, 3, 2), accepted_at=at(2026, 3, 2), allocated_at=at(2026, 3, 3),
            first_contact_at=at(2026, 3, 4), status="in_progress", link_worker=llinos.user,
        )  # fmt: skip

    first, second = case(), case()
    ConnectionFactory(referral=first, service=green, status="attending", referred_at=at(2026, 3, 5),
                      answered_at=at(2026, 3, 6), attending_since=at(2026, 3, 9))  # fmt: skip
    ConnectionFactory(referral=second, service=painting, status="declined",
                      decline_reason="at_capacity", referred_at=at(2026, 3, 5),
                      answered_at=at(2026, 3, 6))  # fmt: skip
    ConnectionFactory(referral=second, service=uncategorised, status="referred",
                      referred_at=at(2026, 3, 7))  # fmt: skip
    UnmetNeedFactory(referral=second, category=phone_friends, recorded_at=at(2026, 3, 8))
    rollup_full()


def test_a_connection_counts_under_every_category_of_its_service(category_data, coordinator):
    tables = tables_for(coordinator)
    by_category = tables["connections_by_category"]
    # made, accepted, declined, attended, completed
    assert rows(by_category) == {
        "Gardening": [1, 1, 0, 1, 0],
        "Befriending": [1, 1, 0, 1, 0],
        "Arts": [1, 0, 1, 0, 0],
        "Not categorised": [1, 0, 0, 0, 0],
    }
    # The total counts each of the three connections once.
    assert by_category.total == ["Total", 3, 1, 1, 1, 0]
    assert "under every top-level category of the service" in by_category.notes[0]


def test_a_connection_counts_once_under_its_provider(category_data, coordinator):
    by_provider = tables_for(coordinator)["connections_by_provider"]
    assert rows(by_provider) == {
        "Drop": [1, 0, 0, 0, 0],
        "Green": [1, 1, 0, 1, 0],
        "Paint": [1, 0, 1, 0, 0],
    }
    assert by_provider.total == ["Total", 3, 1, 1, 1, 0]
    # The Green service's connection is three fact rows (Gardening twice over is one), one
    # of which counts the connection itself.
    assert ConnectionFact.objects.count() == 4
    assert ConnectionFact.objects.filter(counts_connection=True).count() == 3


def test_connections_and_unmet_needs_compare_by_category(category_data, coordinator):
    tables = tables_for(coordinator)
    connected = column(tables["connections_by_category"], "connections")
    unmet = column(tables["unmet_needs"], "needs")
    # Telephone befriending is counted under Befriending, as the Green befrienders are.
    assert unmet == {"Befriending": 1}
    assert connected["Befriending"] == 1


# Open cases now: the reader's scope and the area filter ----------------------


@pytest.fixture
def open_cases_data(scheme, upper, lower, llinos, dafydd):
    """Open cases now: E (Llinos, Upper Teg), F (Llinos, from outside the Teg board), G
    (Dafydd, Lower Teg), a self-referral S (Dafydd, no area), and H (Llinos, closed)."""
    elsewhere = AreaFactory(name="Elsewhere", kind=Area.Kind.HEALTH_BOARD)

    def case(area, link_worker, status="in_progress", source_kind="gp"):
        extra = {}
        if source_kind == "self":
            extra = {"referring_organisation": None, "referring_user": None}
        else:
            extra = {"referring_organisation": OrganisationFactory(area=area)}
        return ReferralFactory(
            scheme=scheme, area=area, received_at=at(2026, 3, 2), accepted_at=at(2026, 3, 2),
            allocated_at=at(2026, 3, 3), first_contact_at=at(2026, 3, 4), status=status,
            link_worker=link_worker.user, source_kind=source_kind,
            closed_at=at(2026, 3, 20) if status == "closed" else None,
            closure_reason="completed" if status == "closed" else "", **extra,
        )  # fmt: skip

    case(upper, llinos)
    case(elsewhere, llinos)
    case(lower, dafydd)
    case(None, dafydd, source_kind="self")
    case(upper, llinos, status="closed")
    rollup_full()
    return {"elsewhere": elsewhere}


def test_a_commissioner_counts_the_open_cases_from_her_boards_areas_only(
    open_cases_data, commissioner
):
    caseload = rows(tables_for(commissioner)["caseload"])
    # E and G: F came from outside the board, S has no area, H is closed.
    assert caseload["Teg Valley Connectors"][0] == 2


def test_the_area_filter_narrows_the_open_cases_too(open_cases_data, commissioner, upper):
    caseload = rows(tables_for(commissioner, area=upper, area_ids={upper.pk})["caseload"])
    assert caseload["Teg Valley Connectors"][0] == 1  # E
    source = rows(tables_for(commissioner, source_kind="self")["caseload"])
    assert source == {}  # S has no area in the board: nothing of hers is Catrin's to count


def test_the_manager_counts_her_whole_scheme_and_the_filters(open_cases_data, coordinator, upper):
    caseload = column(tables_for(coordinator)["caseload"], "open_cases")
    assert caseload == {"Dafydd Rees": 2, "Llinos Watkins": 2}  # G and S; E and F
    in_upper = column(tables_for(coordinator, area=upper, area_ids={upper.pk})["caseload"],
                      "open_cases")  # fmt: skip
    assert in_upper == {"Dafydd Rees": 0, "Llinos Watkins": 1}


def test_the_caseload_agrees_with_the_team_page(open_cases_data, coordinator, scheme, llinos):
    """Carys's team page and her dashboard count the same open cases for each link worker,
    an inactive profile and a case held at another scheme included."""
    from linkworkers.selectors import team_for

    other_scheme_case = ReferralFactory(
        received_at=at(2026, 3, 2), status="in_progress", link_worker=llinos.user,
        allocated_at=at(2026, 3, 3), first_contact_at=at(2026, 3, 4),
    )  # fmt: skip
    assert other_scheme_case.scheme != scheme
    resting = LinkWorkerFactory(
        user=UserFactory(first_name="Bethan", last_name="Hughes", role="link_worker",
                         organisation=scheme),
        active=False,
    )  # fmt: skip
    ReferralFactory(scheme=scheme, received_at=at(2026, 3, 2), status="on_hold",
                    link_worker=resting.user, allocated_at=at(2026, 3, 3))  # fmt: skip
    rollup_full()
    team = {row.user.get_full_name(): row.open_cases for row in team_for(coordinator)}
    dashboard = column(tables_for(coordinator)["caseload"], "open_cases")
    assert team == {"Bethan Hughes": 1, "Dafydd Rees": 2, "Llinos Watkins": 2}
    assert dashboard == {
        "Bethan Hughes (not taking cases)": 1,
        "Dafydd Rees": 2,
        "Llinos Watkins": 2,
    }


# Time: the current month is partial, rates per year by days elapsed, no future weeks -----


@pytest.fixture
def spring(scheme, upper, llinos):
    """Three referrals allocated to Llinos: 2 March, 10 March and 14 April 2026."""
    practice = OrganisationFactory(area=upper)
    for received in (at(2026, 3, 2), at(2026, 3, 10), at(2026, 4, 14)):
        ReferralFactory(
            scheme=scheme, area=upper, referring_organisation=practice, received_at=received,
            accepted_at=received, allocated_at=received, status="allocated",
            link_worker=llinos.user,
        )  # fmt: skip
    rollup_full()


MID_APRIL = date(2026, 4, 15)  # a Wednesday


def test_the_current_month_is_marked_partial_and_months_to_come_are_not_drawn(spring, coordinator):
    by_month = tables_for(coordinator, end=MAY, today=MID_APRIL)["referrals_by_month"]
    assert column(by_month, "total") == {"March 2026": 2, "April 2026 (to 15 April)": 1}
    assert (
        "April 2026 is not over: it is counted to 15 April 2026, so it is not comparable with "
        "a whole month."
    ) in by_month.notes
    assert "Months still to come are not shown." in by_month.notes
    by_year = tables_for(coordinator, end=MAY, today=MID_APRIL)["referrals_by_year"]
    assert rows(by_year) == {"2026 (to 15 April)": [3]}


def test_a_month_that_is_over_is_not_marked(spring, coordinator):
    by_month = tables_for(coordinator, today=date(2026, 5, 2))["referrals_by_month"]
    assert list(column(by_month, "total")) == ["March 2026", "April 2026"]
    assert not [note for note in by_month.notes if "not over" in note]


def test_weeks_to_come_are_not_drawn_as_weeks_without_referrals(spring, coordinator):
    weeks = tables_for(coordinator, end=MAY, today=MID_APRIL)["referrals_by_week"]
    # 1 March 2026 is a Sunday: the first week began on Monday 23 February. The last drawn
    # is the week of 15 April (Monday 13 April), counted to today; none after it.
    labels = [row[0] for row in weeks.rows]
    assert labels[0] == "23 Feb 2026"
    assert labels[-1] == "13 Apr 2026 (to 15 Apr)"
    assert len(labels) == 8
    assert rows(weeks)["13 Apr 2026 (to 15 Apr)"] == [1]
    assert "weeks to come are not shown" in weeks.notes[-1]


def test_referrals_per_year_count_the_days_elapsed(spring, coordinator):
    caseload = tables_for(coordinator, end=MAY, today=MID_APRIL)["caseload"]
    # 3 allocations in the 46 days from 1 March to 15 April: 3 / 46 x 365 = 23.8 a year
    # (the months would have said 3 / 3 x 12 = 12).
    assert column(caseload, "per_year")["Llinos Watkins"] == Decimal("23.8")
    whole = tables_for(coordinator, end=APRIL, today=SUMMER)["caseload"]
    # 3 in the 61 days of March and April: 18.0 a year.
    assert column(whole, "per_year")["Llinos Watkins"] == Decimal("18.0")


def test_a_first_contact_through_the_services_reaches_the_funnel(
    scheme, upper, llinos, coordinator
):
    """The funnel's first contact is the one contact_log records."""
    referral = ReferralFactory(
        scheme=scheme, area=upper, referring_organisation=OrganisationFactory(area=upper),
        received_at=at(2026, 3, 2), accepted_at=at(2026, 3, 2), allocated_at=at(2026, 3, 3),
        status="allocated", link_worker=llinos.user,
    )  # fmt: skip
    contact_log(referral=referral, actor=llinos.user, happened_at=at(2026, 3, 5), mode="phone",
                outcome="reached", minutes=15)  # fmt: skip
    rollup_full()
    funnel = rows(tables_for(coordinator)["funnel"])
    assert funnel["First contact made"][0] == 1


def test_a_period_still_to_come_shows_no_months_and_no_rates(client, spring, coordinator):
    tables = tables_for(coordinator, start=date(2026, 6, 1), end=date(2026, 8, 1), today=MID_APRIL)
    assert tables["referrals_by_month"].rows == []
    assert tables["referrals_by_week"].rows == []
    assert column(tables["caseload"], "per_year") == {"Llinos Watkins": None}
    client.force_login(coordinator)
    assert client.get("/reporting/?start=2030-01&end=2030-02").status_code == 200
