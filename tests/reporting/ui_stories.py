"""The people and tables of the dashboard, export and monthly report stories.

Carys manages the Teg Valley scheme (exact counts of her scheme); Catrin is
the health board's commissioner (counts for the board's area, small numbers
hidden); Rhian, front desk at a GP practice, and Llinos, a link worker, have
no dashboard. The fake tables stand in for the statistics so that a page can
be checked cell by cell; the stories that need real figures say so.
"""

from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import Organisation, Role
from reporting import selectors
from reporting.tables import Chart, Column, Table, suppress_counts
from tests.factories import OrganisationFactory, UserFactory
from tests.referrals import conftest as referral_stories

# The same people as the referral stories (fixtures are found by their names here).
fast_password_hashing = referral_stories.fast_password_hashing
cluster = referral_stories.cluster
practice = referral_stories.practice
scheme = referral_stories.scheme
coordinator = referral_stories.coordinator
link_worker = referral_stories.link_worker


@pytest.fixture(autouse=True)
def english():
    """Each story starts in English: a request to a /cy/ page leaves Welsh active in the thread."""
    with translation.override("en"):
        yield


@pytest.fixture
def commissioner(cluster):
    """Catrin commissions social prescribing for the Teg Valley health board."""
    board = OrganisationFactory(
        name="Teg Valley Health Board", kind=Organisation.Kind.HEALTH, area=cluster.parent
    )
    return UserFactory(
        username="catrin", first_name="Catrin", role=Role.COMMISSIONER, organisation=board
    )


@pytest.fixture
def receptionist(practice):
    """Rhian works on the front desk at Afon Surgery: she refers, and has no dashboard."""
    return UserFactory(username="rhian", role=Role.REFERRER, organisation=practice)


def funnel_table() -> Table:
    """Referrals received by month and how far they went: counts, a total column, a rate."""
    return Table(
        key="funnel",
        title="Referrals and how far they went",
        sentence="Of 26 referrals received, 19 were accepted.",
        columns=[
            Column("month", "Month", kind="text"),
            Column("received", "Received"),
            Column("accepted", "Accepted"),
            Column("accepted_rate", "Accepted (%)", kind="rate"),
        ],
        rows=[
            ["January 2026", 12, 9, Decimal("75.0")],
            ["February 2026", 3, 3, Decimal("100.0")],
            ["March 2026", 11, 7, None],
        ],
        total=["Total", 26, 19, Decimal("73.1")],
        chart=Chart(type="bar", series=["received", "accepted"]),
        notes=["Counted by the month each referral was received."],
    )


def gender_table() -> Table:
    """A breakdown without a chart or a total, with a Welsh letter in a label."""
    return Table(
        key="gender",
        title="Referrals by gender",
        sentence="Most people referred were women.",
        columns=[Column("gender", "Gender", kind="text"), Column("received", "Received")],
        rows=[["Woman", 20], ["Man", 5], ["Anneuaidd ŵ", 1]],
    )


def fake_tables() -> list[Table]:
    return [funnel_table(), gender_table()]


@pytest.fixture
def fake_dashboard(monkeypatch, settings):
    """The dashboard's statistics replaced by the fake tables; remembers each call.

    The fake counts are bare numbers with no records behind them, so no cell key noise:
    small numbers are hidden and counts rounded as they are (test_cell_key.py covers
    the noise).
    """
    settings.STATISTICS_PERTURBATION = False
    calls = []

    def dashboard_tables(*, scope, filters, suppress=None):
        calls.append(
            {
                "scope": scope,
                "filters": filters,
                "suppress": suppress,
                "language": translation.get_language(),
            }
        )
        tables = fake_tables()
        hide = (not scope.exact) if suppress is None else suppress
        return [suppress_counts(table) for table in tables] if hide else tables

    monkeypatch.setattr(selectors, "dashboard_tables", dashboard_tables)
    return calls
