"""The Django admin cannot go round the review workflow: listings and changes are read-only there.

Ifan administers the system; Prys's community garden is edited only through
a proposal that a directory editor approves (or an HSDS import).
"""

import pytest
from django.urls import reverse

from accounts.models import Role
from directory.models import Service, ServiceChange
from directory.services import service_change_propose
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client):
    """Ifan is a superuser: even he changes listings only through the workflow."""
    user = UserFactory(username="ifan", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_an_administrator_can_read_a_listing(client, administrator, garden):
    response = client.get(reverse("admin:directory_service_change", args=[garden.pk]))
    assert response.status_code == 200
    assert "Community garden" in response.content.decode()


def test_an_administrator_cannot_edit_a_listing(client, administrator, garden):
    url = reverse("admin:directory_service_change", args=[garden.pk])
    response = client.post(url, {"name": "Renamed", "status": "closed"})
    assert response.status_code == 403
    garden.refresh_from_db()
    assert garden.name == "Community garden"


def test_an_administrator_cannot_add_or_delete_a_listing(client, administrator, garden):
    assert client.get(reverse("admin:directory_service_add")).status_code == 403
    url = reverse("admin:directory_service_delete", args=[garden.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Service.objects.filter(pk=garden.pk).exists()


def test_a_proposed_change_is_read_only(client, administrator, provider, garden):
    change = service_change_propose(
        service=garden, actor=provider, data={"name": "Community gardens"}
    )
    url = reverse("admin:directory_servicechange_change", args=[change.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "approved"}).status_code == 403
    delete = reverse("admin:directory_servicechange_delete", args=[change.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    change.refresh_from_db()
    assert change.status == ServiceChange.Status.PENDING
