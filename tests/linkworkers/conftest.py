"""The people in the case stories (the same as the referral stories).

Llinos holds Glenys's case; Dafydd is another link worker of the same scheme;
Carys coordinates the scheme; Gwen is the GP who referred Glenys; Osian
refers from another practice and Olwen coordinates another scheme (the
outsiders); Prys works for a community provider and Catrin is a
commissioner.
"""

import pytest
from django.utils import timezone, translation

from accounts.models import Role
from referrals.models import Status
from tests.factories import ReferralFactory, UserFactory
from tests.linkworkers import connection_people  # noqa: E402
from tests.referrals import conftest as referral_stories

# The same people as the referral stories (fixtures are found by their names here).
fast_password_hashing = referral_stories.fast_password_hashing
cluster = referral_stories.cluster
practice = referral_stories.practice
scheme = referral_stories.scheme
coordinator = referral_stories.coordinator
link_worker = referral_stories.link_worker
other_link_worker = referral_stories.other_link_worker
outsider_referrer = referral_stories.outsider_referrer
outsider_coordinator = referral_stories.outsider_coordinator
provider_user = referral_stories.provider_user
commissioner = referral_stories.commissioner


@pytest.fixture(autouse=True)
def english():
    """Each story starts in English: a request to a /cy/ page leaves Welsh active in the thread."""
    with translation.override("en"):
        yield


@pytest.fixture
def gp(practice):
    """Gwen is a GP at Afon Surgery; she referred Glenys."""
    return UserFactory(username="gwen", first_name="Gwen", last_name="Parry",
                       role=Role.REFERRER, organisation=practice)  # fmt: skip


@pytest.fixture
def case(gp, scheme, cluster, link_worker):
    """Glenys's referral, allocated to Llinos two days ago: her first contact is due."""
    allocated = timezone.now() - timezone.timedelta(days=2)
    return ReferralFactory(
        referring_user=gp, referring_organisation=gp.organisation, scheme=scheme, area=cluster,
        status=Status.ALLOCATED, link_worker=link_worker, allocated_at=allocated, version=3,
        person__given_name="Glenys", person__family_name="Pritchard",
        received_at=allocated - timezone.timedelta(days=3),
    )  # fmt: skip


@pytest.fixture
def people(gp, coordinator, link_worker, other_link_worker, outsider_referrer,
           outsider_coordinator, provider_user, commissioner):  # fmt: skip
    return {
        "link_worker": link_worker,
        "other_link_worker": other_link_worker,
        "coordinator": coordinator,
        "referrer": gp,
        "outsider_referrer": outsider_referrer,
        "outsider_coordinator": outsider_coordinator,
        "provider": provider_user,
        "commissioner": commissioner,
    }


@pytest.fixture
def peer_navigator(scheme):
    """Siân volunteers with the scheme as a peer navigator."""
    return UserFactory(username="sian", first_name="Siân", last_name="Hughes",
                       role=Role.PEER_NAVIGATOR, organisation=scheme)  # fmt: skip


@pytest.fixture
def other_peer_navigator(scheme):
    """Iolo is a peer navigator of the same scheme, not on Glenys's case."""
    return UserFactory(username="iolo", first_name="Iolo", last_name="Evans",
                       role=Role.PEER_NAVIGATOR, organisation=scheme)  # fmt: skip


@pytest.fixture
def attached(case, peer_navigator, link_worker):
    """Llinos has attached Siân to Glenys's case."""
    from linkworkers.models import PeerNavigatorAssignment

    return PeerNavigatorAssignment.objects.create(
        referral=case, user=peer_navigator, added_by=link_worker, added_at=timezone.now()
    )


growing_org = connection_people.growing_org


prys = connection_people.prys


rhodri = connection_people.rhodri


gardening = connection_people.gardening


signposting = connection_people.signposting


in_progress = connection_people.in_progress


proposed = connection_people.proposed


referred = connection_people.referred
