"""The people and places of the connection stories.

Llinos (link worker) holds Glenys's case and connects her to the Teg Valley
gardening group, kept by Prys of Teg Valley Growing Together. Rhodri works
for another provider (the outsider provider).
"""

import pytest

from accounts.models import Organisation, Role
from linkworkers.models import ConnectionStatus
from tests.factories import (
    ConnectionFactory,
    OrganisationFactory,
    ProviderFactory,
    ServiceFactory,
    UserFactory,
)


@pytest.fixture
def growing_org(db):
    return OrganisationFactory(
        name="Teg Valley Growing Together", kind=Organisation.Kind.PROVIDER, ods_code=None
    )


@pytest.fixture
def prys(growing_org):
    """Prys runs the gardening group's referrals."""
    return UserFactory(
        username="prys-tvgt", first_name="Prys", role=Role.PROVIDER, organisation=growing_org
    )


@pytest.fixture
def rhodri(db):
    """Rhodri works for another provider: he sees none of Prys's referrals."""
    org = OrganisationFactory(name="Other Walks", kind=Organisation.Kind.PROVIDER, ods_code=None)
    ServiceFactory(name="Walking group", provider=ProviderFactory(organisation=org))
    return UserFactory(username="rhodri", role=Role.PROVIDER, organisation=org)


@pytest.fixture
def gardening(growing_org):
    return ServiceFactory(
        name="Community gardening group",
        provider=ProviderFactory(name="Teg Valley Growing Together", organisation=growing_org),
    )


@pytest.fixture
def signposting(growing_org):
    return ServiceFactory(
        name="Drop-in allotment",
        takes_direct_referrals=False,
        provider=ProviderFactory(organisation=growing_org),
    )


@pytest.fixture
def in_progress(case):
    case.status = "in_progress"
    case.save(update_fields=["status"])
    return case


@pytest.fixture
def proposed(in_progress, gardening, link_worker):
    return ConnectionFactory(
        referral=in_progress,
        service=gardening,
        created_by=link_worker,
        note_for_provider="Glenys loves growing tomatoes.",
    )


@pytest.fixture
def referred(proposed):
    from django.utils import timezone

    proposed.status = ConnectionStatus.REFERRED
    proposed.referred_at = timezone.now()
    proposed.save()
    return proposed
