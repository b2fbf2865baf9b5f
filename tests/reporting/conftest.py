"""A small scheme whose statistics are worked out by hand in the tests.

Teg Valley scheme, March and April 2026 (the period the tests ask about):

R1  gp (Upper), Mon 2 Mar, 75+, female: accepted, allocated to Llinos, contacted Mon 9 Mar
    (7 days, 5 working), connected to a gardening group (completed), closed completed;
    UCLA 7 -> 5.
R2  self (the scheme's area), Tue 10 Mar, 25-44, male: accepted, allocated to Llinos,
    contacted Mon 30 Mar (20 days, 14 working), arts group declined, unmet need "money";
    in progress.
R3  gp (Upper), Wed 1 Apr, 0-17, female: rejected.
R4  gp (Lower), Wed 15 Apr, 65-74, prefer not to say: accepted, allocated to Dafydd,
    contacted Mon 20 Apr (5 days, 3 working), closed declined by the person; UCLA baseline.

Outside the period or the scheme: R0 received 27 Feb; RX at another scheme.
"""

from datetime import UTC, date, datetime

import pytest

from accounts.models import Area, Organisation, Role
from tests.factories import (
    AreaFactory,
    ConnectionFactory,
    InstrumentFactory,
    LinkWorkerFactory,
    OrganisationFactory,
    OutcomeMeasureFactory,
    PersonFactory,
    ReferralFactory,
    SchemeFactory,
    ServiceFactory,
    TaxonomyTermFactory,
    UnmetNeedFactory,
    UserFactory,
)


def at(year, month, day, hour=12):
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def board(db):
    return AreaFactory(code="7T1", name="Teg Board", kind=Area.Kind.HEALTH_BOARD)


@pytest.fixture
def upper(board):
    return AreaFactory(code="7T1C1", name="Upper Teg", kind=Area.Kind.CLUSTER, parent=board)


@pytest.fixture
def lower(board):
    return AreaFactory(code="7T1C2", name="Lower Teg", kind=Area.Kind.CLUSTER, parent=board)


@pytest.fixture
def scheme(board):
    return SchemeFactory(name="Teg Valley Connectors", area=board)


@pytest.fixture
def coordinator(scheme):
    """Carys manages the Teg Valley scheme."""
    return UserFactory(username="carys", role=Role.COORDINATOR, organisation=scheme)


@pytest.fixture
def commissioner(board):
    """Catrin commissions social prescribing for the Teg health board."""
    organisation = OrganisationFactory(
        kind=Organisation.Kind.HEALTH, name="Teg Board", ods_code="7T1", area=board
    )
    return UserFactory(username="catrin", role=Role.COMMISSIONER, organisation=organisation)


@pytest.fixture
def llinos(scheme):
    return LinkWorkerFactory(
        user=UserFactory(
            username="llinos", first_name="Llinos", last_name="Watkins",
            role=Role.LINK_WORKER, organisation=scheme,
        ),
        capacity=10,
    )  # fmt: skip


@pytest.fixture
def dafydd(scheme):
    return LinkWorkerFactory(
        user=UserFactory(
            username="dafydd", first_name="Dafydd", last_name="Rees",
            role=Role.LINK_WORKER, organisation=scheme,
        ),
        capacity=5,
    )  # fmt: skip


@pytest.fixture
def known_data(scheme, upper, lower, board, llinos, dafydd):
    upper_practice = OrganisationFactory(name="Afon Surgery", area=upper)
    lower_practice = OrganisationFactory(name="Castell Health Centre", area=lower)
    gardening = TaxonomyTermFactory(code="gardening", name="Gardening")
    allotments = TaxonomyTermFactory(
        code="allotments", name="Allotments", parent=gardening, taxonomy=gardening.taxonomy
    )
    arts = TaxonomyTermFactory(code="arts", name="Arts", taxonomy=gardening.taxonomy)
    money = TaxonomyTermFactory(code="money", name="Money", taxonomy=gardening.taxonomy)
    garden_group = ServiceFactory(name="Allotment buddies")
    garden_group.taxonomy_terms.add(allotments)
    arts_group = ServiceFactory(name="Painting together")
    arts_group.taxonomy_terms.add(arts)
    ucla = InstrumentFactory(code="ucla-test", name="UCLA", scoring="sum", higher_is_better=False)
    lw1, lw2 = llinos.user, dafydd.user

    def referral(**fields):
        source = fields.pop("source_kind", "gp")
        practice = fields.pop("practice", upper_practice)
        person = PersonFactory(**fields.pop("person"))
        if source == "self":
            fields.update(referring_organisation=None, referring_user=None, area=board)
        else:
            fields.update(referring_organisation=practice, area=practice.area)
        return ReferralFactory(person=person, source_kind=source, scheme=scheme, **fields)

    r1 = referral(
        person={"date_of_birth": date(1950, 6, 1), "gender": "female", "ethnic_group": "A"},
        reasons=["loneliness", "money"],
        received_at=at(2026, 3, 2), accepted_at=at(2026, 3, 3), allocated_at=at(2026, 3, 4),
        first_contact_at=at(2026, 3, 9), closed_at=at(2026, 5, 1), status="closed",
        closure_reason="completed", link_worker=lw1,
    )  # fmt: skip
    ConnectionFactory(
        referral=r1, service=garden_group, status="completed", proposed_at=at(2026, 3, 12),
        referred_at=at(2026, 3, 12), answered_at=at(2026, 3, 14),
        attending_since=at(2026, 3, 20), ended_at=at(2026, 4, 30),
    )  # fmt: skip
    OutcomeMeasureFactory(
        referral=r1, instrument=ucla, timepoint="baseline", answered_on=date(2026, 3, 9),
        raw_score=7, recorded_by=lw1,
    )  # fmt: skip
    OutcomeMeasureFactory(
        referral=r1, instrument=ucla, timepoint="closure", answered_on=date(2026, 4, 30),
        raw_score=5, recorded_by=lw1,
    )  # fmt: skip
    r2 = referral(
        source_kind="self",
        person={"date_of_birth": date(2000, 1, 1), "gender": "male", "ethnic_group": "Z"},
        reasons=["low_mood"],
        received_at=at(2026, 3, 10), accepted_at=at(2026, 3, 10), allocated_at=at(2026, 3, 11),
        first_contact_at=at(2026, 3, 30), status="in_progress", link_worker=lw1,
    )  # fmt: skip
    ConnectionFactory(
        referral=r2, service=arts_group, status="declined", decline_reason="at_capacity",
        proposed_at=at(2026, 4, 1), referred_at=at(2026, 4, 1), answered_at=at(2026, 4, 3),
    )  # fmt: skip
    UnmetNeedFactory(referral=r2, category=money, recorded_at=at(2026, 4, 3))
    referral(
        person={"date_of_birth": date(2010, 5, 5), "gender": "female", "ethnic_group": "A"},
        reasons=["loneliness"],
        received_at=at(2026, 4, 1), rejected_at=at(2026, 4, 2), status="rejected",
        rejection_reason="not_eligible",
    )  # fmt: skip
    r4 = referral(
        practice=lower_practice,
        person={"date_of_birth": date(1960, 1, 1), "gender": "not_stated", "ethnic_group": "C"},
        reasons=["inactivity"],
        received_at=at(2026, 4, 15), accepted_at=at(2026, 4, 15), allocated_at=at(2026, 4, 16),
        first_contact_at=at(2026, 4, 20), closed_at=at(2026, 5, 10), status="closed",
        closure_reason="declined", link_worker=lw2,
    )  # fmt: skip
    OutcomeMeasureFactory(
        referral=r4, instrument=ucla, timepoint="baseline", answered_on=date(2026, 4, 20),
        raw_score=8, recorded_by=lw2,
    )  # fmt: skip
    # Outside the period, and at another scheme.
    referral(
        person={"date_of_birth": date(1980, 1, 1)}, reasons=["housing"], received_at=at(2026, 2, 27)
    )
    ReferralFactory(
        received_at=at(2026, 3, 5), reasons=["housing"],
        referring_organisation=OrganisationFactory(area=upper),
    )  # fmt: skip
    return {"r1": r1, "r2": r2, "r4": r4, "ucla": ucla, "gardening": gardening, "arts": arts}
