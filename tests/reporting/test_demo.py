"""The demo's figures: the dashboards open with numbers in every table."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from directory.models import Postcode
from directory.postcodes import lookup
from referrals.models import Person, Referral
from reporting.models import BreakdownCube, Dimension, ReferralCube

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(demo_data, settings):
    settings.DEBUG = True  # for the tests that run seed_demo again


def test_the_demo_is_rolled_up(seeded):
    received = ReferralCube.objects.aggregate(n=Sum("received"))["n"]
    assert received == Referral.objects.count()


def test_every_demo_postcode_has_an_invented_deprivation_decile(seeded):
    postcodes = set(Person.objects.values_list("postcode", flat=True))
    rows = Postcode.objects.filter(postcode__in=postcodes)
    deciles = dict(rows.values_list("postcode", "imd_decile"))
    assert set(deciles) == postcodes
    assert set(deciles.values()) <= set(range(1, 11))
    by_quintile = dict(
        BreakdownCube.objects.filter(dimension=Dimension.DEPRIVATION)
        .values_list("value")
        .annotate(n=Sum("received"))
    )
    assert "unknown" not in by_quintile
    assert set(by_quintile) == {"1", "2", "3", "4", "5"}
    assert by_quintile["1"] > by_quintile["5"]  # leaning towards the more deprived


def test_the_invented_deciles_sit_on_the_real_postcode_data(seeded):
    """The decile is invented; the position is the packaged data's, as a lookup gives it."""
    from directory.services.packaged_postcodes import _rows

    postcodes = sorted(set(Person.objects.values_list("postcode", flat=True)))[:20]
    letters = {postcode[0] for postcode in postcodes}
    packaged = {
        code: (east, north) for letter in letters for code, east, north, _la in _rows(letter)
    }
    for postcode in postcodes:
        place = lookup(postcode)
        assert (place.easting, place.northing) == packaged[postcode]
        assert place.imd_decile in range(1, 11)


def test_seeding_twice_invents_nothing_more(seeded, settings):
    before = Postcode.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Postcode.objects.count() == before
