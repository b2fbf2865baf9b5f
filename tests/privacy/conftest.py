"""The people in the data protection stories.

Dewi is the data protection officer of the Teg Valley scheme, which Carys
coordinates and where Llinos and Dafydd are link workers. Gwen, a GP at Afon
Surgery, referred Glenys to Teg Valley; Bethan was referred only to the
Glannau scheme, which Olwen coordinates and whose DPO is Owain (the
outsiders). Prys works for a community provider and Catrin is a commissioner.
"""

from contextlib import contextmanager
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from accounts.models import Role
from accounts.services import api_client_create
from referrals.models import Status
from tests.factories import ReferralFactory, UserFactory
from tests.referrals import conftest as referral_stories

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

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def dpo(scheme):
    """Dewi is Teg Valley's data protection officer."""
    return UserFactory(username="dewi", first_name="Dewi", last_name="Lloyd", role=Role.DPO,
                       organisation=scheme)  # fmt: skip


@pytest.fixture
def outsider_dpo(outsider_coordinator):
    """Owain is the Glannau scheme's data protection officer."""
    return UserFactory(username="owain", first_name="Owain", last_name="Rowlands",
                       role=Role.DPO, organisation=outsider_coordinator.organisation)  # fmt: skip


@pytest.fixture
def gp(practice):
    """Gwen is a GP at Afon Surgery; she referred Glenys."""
    return UserFactory(username="gwen", first_name="Gwen", last_name="Parry",
                       role=Role.REFERRER, organisation=practice)  # fmt: skip


@pytest.fixture
def glenys_referral(gp, scheme, cluster, link_worker):
    """Glenys's referral to Teg Valley, which Llinos holds."""
    return ReferralFactory(
        reference="SP-GLENYS1", referring_user=gp, referring_organisation=gp.organisation,
        scheme=scheme, area=cluster, status=Status.IN_PROGRESS, link_worker=link_worker,
        person__given_name="Glenys", person__family_name="Pritchard",
        person__nhs_number="9998887771",
    )  # fmt: skip


@pytest.fixture
def glenys(glenys_referral):
    return glenys_referral.person


@pytest.fixture
def bethan_referral(gp, outsider_coordinator):
    """Bethan's referral, made by the same GP, to the Glannau scheme only."""
    return ReferralFactory(
        reference="SP-BETHAN1", referring_user=gp, referring_organisation=gp.organisation,
        scheme=outsider_coordinator.organisation, person__given_name="Bethan",
        person__family_name="Morgan",
    )  # fmt: skip


@pytest.fixture
def bethan(bethan_referral):
    return bethan_referral.person


@pytest.fixture
def partner_system(practice):
    """Afon Surgery's GP system, reading referrals through the API."""
    client, _token = api_client_create(
        name="Afon GP system", organisation=practice, scopes=["referrals:read"]
    )
    return client


@pytest.fixture
def everyone(gp, coordinator, link_worker, other_link_worker, outsider_referrer,
             outsider_coordinator, provider_user, commissioner):  # fmt: skip
    return {
        "referrer": gp,
        "coordinator": coordinator,
        "link_worker": link_worker,
        "other_link_worker": other_link_worker,
        "outsider_referrer": outsider_referrer,
        "outsider_coordinator": outsider_coordinator,
        "provider": provider_user,
        "commissioner": commissioner,
        "admin": UserFactory(
            username="aled", role=Role.ADMIN, organisation=None, is_staff=True, is_superuser=True
        ),  # fmt: skip
        "peer_navigator": UserFactory(
            username="nia", role=Role.PEER_NAVIGATOR, organisation=coordinator.organisation
        ),  # fmt: skip
    }


def local(*args):
    """A moment in UK local time: local(2026, 3, 4, 21, 30)."""
    return datetime(*args, tzinfo=LONDON)


@contextmanager
def at(moment):
    """Audit rows written inside are stamped `moment` (created_at is set on insert)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
