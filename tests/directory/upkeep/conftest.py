"""The people of these stories.

Prys keeps Teg Valley Growing Together's listings; Siôn keeps the Glannau
Men's Shed's (an outsider to Prys's services); Carys coordinates the scheme
and is a directory editor; Llinos is a link worker; Catrin, a commissioner,
only reads statistics.
"""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import Organisation, Role
from directory.selectors import PROVIDER_EDITABLE_FIELDS
from tests.factories import OrganisationFactory, ProviderFactory, ServiceFactory, UserFactory


@pytest.fixture
def growing_together(db):
    return OrganisationFactory(
        name="Teg Valley Growing Together", kind=Organisation.Kind.PROVIDER, ods_code=None
    )


@pytest.fixture
def provider(growing_together):
    """Prys runs Teg Valley Growing Together and keeps its listings current."""
    return UserFactory(
        username="prys", first_name="Prys", role=Role.PROVIDER, organisation=growing_together
    )


@pytest.fixture
def garden(growing_together):
    """The community garden Prys's organisation runs."""
    return ServiceFactory(
        name="Community garden",
        name_cy="Gardd gymunedol",
        description="Grow vegetables together on Tuesdays.",
        provider=ProviderFactory(name="Teg Valley Growing Together", organisation=growing_together),
    )


@pytest.fixture
def outsider(db):
    """Siôn keeps the Glannau Men's Shed listings: none of Prys's business, nor Prys of his."""
    shed = OrganisationFactory(
        name="Glannau Men's Shed", kind=Organisation.Kind.PROVIDER, ods_code=None
    )
    return UserFactory(username="sion", role=Role.PROVIDER, organisation=shed)


@pytest.fixture
def shed_service(outsider):
    return ServiceFactory(
        name="Men's shed", provider=ProviderFactory(organisation=outsider.organisation)
    )


@pytest.fixture
def editor(db):
    """Carys coordinates the scheme and, in the Directory editors group, approves changes."""
    group = Group.objects.create(name="Directory editors")
    group.permissions.add(Permission.objects.get(codename="review_servicechange"))
    user = UserFactory(username="carys", first_name="Carys", role=Role.COORDINATOR)
    user.groups.add(group)
    return user


@pytest.fixture
def link_worker(db):
    """Llinos is a link worker who checks services before she refers people to them."""
    return UserFactory(username="llinos", first_name="Llinos", role=Role.LINK_WORKER)


@pytest.fixture
def commissioner(db):
    """Catrin commissions the scheme and reads statistics only."""
    return UserFactory(username="catrin", role=Role.COMMISSIONER)


def form_data(service, **changes):
    """What the edit form posts: the listing as it stands, with these changes."""
    data = {}
    for name in PROVIDER_EDITABLE_FIELDS:
        value = changes.get(name, getattr(service, name))
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    return data
