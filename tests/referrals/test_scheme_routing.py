"""Which scheme a referral goes to: the nearest one covering the area, else the only one."""

import pytest

from referrals.exceptions import NoSchemeForArea
from referrals.selectors import scheme_for_area
from tests.factories import AreaFactory, SchemeFactory

pytestmark = pytest.mark.django_db


def test_the_nearest_scheme_up_the_tree_wins():
    board = AreaFactory(kind="health_board")
    cluster = AreaFactory(kind="cluster", parent=board)
    board_scheme = SchemeFactory(area=board)
    assert scheme_for_area(cluster) == board_scheme
    cluster_scheme = SchemeFactory(area=cluster)
    assert scheme_for_area(cluster) == cluster_scheme


def test_with_no_scheme_covering_the_area_the_only_scheme_takes_it():
    only = SchemeFactory(area=AreaFactory())
    assert scheme_for_area(AreaFactory()) == only
    assert scheme_for_area(None) == only


def test_with_several_schemes_and_none_covering_it_says_so():
    SchemeFactory(area=AreaFactory())
    SchemeFactory(area=AreaFactory())
    with pytest.raises(NoSchemeForArea, match="No social prescribing scheme"):
        scheme_for_area(AreaFactory())
