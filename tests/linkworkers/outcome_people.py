"""The people in the outcome stories, imported by the test_outcome_* modules.

Imported rather than kept in a conftest so that a module's own fixtures win
over any other conftest's fixtures of the same name (pytest prefers the
module's); the importing modules silence ruff's F811, which cannot know that
a test's argument is the fixture it imported.

Llinos is the link worker Glenys's case is allocated to; Dafydd works in the
same scheme on other cases; Carys coordinates the scheme; Gwen is the GP who
referred Glenys; Prys works for a community provider; Osian is an outsider
(a referrer at another practice) and Olwen coordinates another scheme.
"""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone, translation

from accounts.models import Area, Organisation, Role
from linkworkers.models import Instrument
from tests.factories import (
    AreaFactory,
    LinkWorkerFactory,
    OrganisationFactory,
    ReferralFactory,
    SchemeFactory,
    UserFactory,
)

shipped = import_module("linkworkers.migrations.0004_outcome_instruments")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def in_english():
    """A /cy/ page leaves Welsh active in the test thread; messages here are asserted in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def instruments(db):
    """The shipped instruments by code. The data migration put them there, but a browser
    test's flush empties the tables, so load them again (it is idempotent)."""
    shipped.load_instruments(apps, None)
    return {i.code: i for i in Instrument.objects.prefetch_related("items")}


@pytest.fixture
def scheme(db):
    board = AreaFactory(name="Teg Valley", kind=Area.Kind.HEALTH_BOARD)
    return SchemeFactory(name="Teg Valley Community Connectors", area=board)


@pytest.fixture
def gwen(scheme):
    practice = OrganisationFactory(name="Afon Surgery", ods_code="W90001", area=scheme.area)
    return UserFactory(
        username="gwen", first_name="Gwen", role=Role.REFERRER, organisation=practice
    )


@pytest.fixture
def llinos(scheme):
    return LinkWorkerFactory(
        user=UserFactory(username="llinos", first_name="Llinos", last_name="Watkins",
                         role=Role.LINK_WORKER, organisation=scheme),
    ).user  # fmt: skip


@pytest.fixture
def dafydd(scheme):
    return LinkWorkerFactory(
        user=UserFactory(username="dafydd", first_name="Dafydd", last_name="Rees",
                         role=Role.LINK_WORKER, organisation=scheme),
    ).user  # fmt: skip


@pytest.fixture
def carys(scheme):
    return UserFactory(
        username="carys", first_name="Carys", role=Role.COORDINATOR, organisation=scheme
    )


@pytest.fixture
def prys(db):
    org = OrganisationFactory(name="Teg Men's Shed", kind=Organisation.Kind.PROVIDER, ods_code=None)
    return UserFactory(username="prys", role=Role.PROVIDER, organisation=org)


@pytest.fixture
def osian(db):
    return UserFactory(
        username="osian", role=Role.REFERRER, organisation=OrganisationFactory(name="Bryn Surgery")
    )


@pytest.fixture
def olwen(db):
    return UserFactory(
        username="olwen", role=Role.COORDINATOR, organisation=SchemeFactory(name="Glannau")
    )


@pytest.fixture
def case(gwen, llinos, scheme):
    """Glenys's referral from Gwen, allocated to Llinos, first contact made a month ago."""
    now = timezone.now()
    return ReferralFactory(
        referring_user=gwen,
        referring_organisation=gwen.organisation,
        scheme=scheme,
        status="in_progress",
        link_worker=llinos,
        received_at=now - timedelta(days=40),
        allocated_at=now - timedelta(days=35),
        first_contact_at=now - timedelta(days=30),
        person__given_name="Glenys",
        person__family_name="Pritchard",
    )


@pytest.fixture
def people(llinos, dafydd, carys, gwen, prys, osian, olwen):
    return {"llinos": llinos, "dafydd": dafydd, "carys": carys, "gwen": gwen, "prys": prys,
            "osian": osian, "olwen": olwen}  # fmt: skip


def answers_by_order(instrument, *values):
    """{item id: value} from the values in item order."""
    items = list(instrument.items.order_by("order"))
    assert len(items) == len(values)
    return {item.pk: value for item, value in zip(items, values, strict=True)}
