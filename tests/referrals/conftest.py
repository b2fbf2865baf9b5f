"""The people in the referral stories.

Rhian (front desk at Afon Surgery) refers; Carys coordinates the Teg Valley
scheme; Llinos and Dafydd are its link workers; Osian refers from another
practice and Olwen coordinates another scheme (the outsiders); Prys works for
a community provider and Catrin is a commissioner.
"""

import time

import pytest

from accounts.models import Area, Organisation, Role
from tests.factories import (
    AreaFactory,
    LinkWorkerFactory,
    OrganisationFactory,
    ReferralFactory,
    SchemeFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """These stories make many users; real hashing would make them slow for no gain."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cluster(db):
    board = AreaFactory(name="Teg Valley", kind=Area.Kind.HEALTH_BOARD)
    return AreaFactory(name="Upper Teg", kind=Area.Kind.CLUSTER, parent=board)


@pytest.fixture
def practice(cluster):
    return OrganisationFactory(name="Afon Surgery", ods_code="W90001", area=cluster)


@pytest.fixture
def scheme(cluster):
    return SchemeFactory(name="Teg Valley Community Connectors", area=cluster.parent)


@pytest.fixture
def coordinator(scheme):
    return UserFactory(
        username="carys",
        first_name="Carys",
        last_name="Pugh",
        role=Role.COORDINATOR,
        organisation=scheme,
    )


@pytest.fixture
def link_worker(scheme, cluster):
    profile = LinkWorkerFactory(
        user=UserFactory(username="llinos", first_name="Llinos", last_name="Watkins",
                         role=Role.LINK_WORKER, organisation=scheme),
        languages=["en", "cy"],
    )  # fmt: skip
    profile.areas.add(cluster)
    return profile.user


@pytest.fixture
def other_link_worker(scheme):
    return LinkWorkerFactory(
        user=UserFactory(username="dafydd", first_name="Dafydd", last_name="Rees",
                         role=Role.LINK_WORKER, organisation=scheme),
    ).user  # fmt: skip


@pytest.fixture
def outsider_referrer(db):
    return UserFactory(
        username="osian",
        role=Role.REFERRER,
        organisation=OrganisationFactory(name="Bryn Medical Centre"),
    )


@pytest.fixture
def outsider_coordinator(db):
    return UserFactory(
        username="olwen",
        role=Role.COORDINATOR,
        organisation=SchemeFactory(name="Glannau Connectors"),
    )


@pytest.fixture
def provider_user(db):
    org = OrganisationFactory(
        name="Glannau Men's Shed", kind=Organisation.Kind.PROVIDER, ods_code=None
    )
    return UserFactory(username="prys", role=Role.PROVIDER, organisation=org)


@pytest.fixture
def commissioner(db):
    return UserFactory(
        username="catrin",
        role=Role.COMMISSIONER,
        organisation=OrganisationFactory(kind=Organisation.Kind.HEALTH),
    )


@pytest.fixture
def referral(gp_receptionist, scheme, cluster):
    """A referral Rhian made for Glenys, received by the scheme."""
    return ReferralFactory(
        referring_user=gp_receptionist,
        referring_organisation=gp_receptionist.organisation,
        scheme=scheme,
        area=cluster,
        person__given_name="Glenys",
        person__family_name="Pritchard",
    )


@pytest.fixture
def people(gp_receptionist, coordinator, link_worker, outsider_referrer, outsider_coordinator,
           provider_user, commissioner, other_link_worker):  # fmt: skip
    return {
        "referrer": gp_receptionist,
        "coordinator": coordinator,
        "link_worker": link_worker,
        "other_link_worker": other_link_worker,
        "outsider_referrer": outsider_referrer,
        "outsider_coordinator": outsider_coordinator,
        "provider": provider_user,
        "commissioner": commissioner,
    }


@pytest.fixture
def routing_clock(monkeypatch):
    """The clock by which each process's routing copy checks for others' changes
    (referrals.selectors), stopped; call it with seconds to move it on. It starts on a whole
    second, so that two half seconds add up to exactly one (from another reading the sum can
    fall a rounding short of the second)."""
    from referrals import selectors

    now = [float(round(time.monotonic()))]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: now[0])

    def move_on(seconds: float) -> None:
        now[0] += seconds

    return move_on
