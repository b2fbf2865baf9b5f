"""Which link worker the triage page suggests for a referral."""

import pytest

from linkworkers.selectors import link_worker_candidates, suggested_link_worker
from referrals.models import Status
from tests.factories import (
    AreaFactory,
    LinkWorkerFactory,
    ReferralFactory,
    SchemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    cluster = AreaFactory(kind="cluster")
    scheme = SchemeFactory(area=cluster)

    def worker(name, languages, covers, capacity=25):
        profile = LinkWorkerFactory(
            user=UserFactory(username=name, role="link_worker", organisation=scheme),
            languages=languages,
            capacity=capacity,
        )
        if covers:
            profile.areas.add(cluster)
        return profile.user

    return cluster, scheme, worker


def test_it_prefers_room_then_area_then_language(setting):
    cluster, scheme, worker = setting
    english_here = worker("huw", ["en"], covers=True)
    welsh_elsewhere = worker("nia", ["en", "cy"], covers=False)
    welsh_here_full = worker("seren", ["cy"], covers=True, capacity=1)
    ReferralFactory(scheme=scheme, status=Status.IN_PROGRESS, link_worker=welsh_here_full)
    welsh_here = worker("wyn", ["en", "cy"], covers=True)
    referral = ReferralFactory(scheme=scheme, area=cluster, person__preferred_language="cy")
    candidates = link_worker_candidates(referral=referral)
    assert [c.user for c in candidates] == [
        welsh_here,
        english_here,
        welsh_elsewhere,
        welsh_here_full,
    ]
    assert suggested_link_worker(candidates).user == welsh_here


def test_no_suggestion_when_everyone_is_full(setting):
    cluster, scheme, worker = setting
    full = worker("huw", ["en"], covers=True, capacity=0)
    referral = ReferralFactory(scheme=scheme, area=cluster)
    candidates = link_worker_candidates(referral=referral)
    assert [c.user for c in candidates] == [full]
    assert suggested_link_worker(candidates) is None
