"""Link workers see a listing's checks and staleness on the service page before they refer."""

import datetime

import pytest
from django.utils import timezone

from directory.models import ServiceCheck

pytestmark = pytest.mark.django_db


def test_a_link_worker_sees_the_latest_check_on_the_service_page(client, garden, link_worker):
    ServiceCheck.objects.create(
        service=garden,
        checked_by=link_worker,
        safeguarding_policy=True,
        insurance=True,
        dbs=ServiceCheck.Dbs.YES,
        visited=True,
    )
    client.force_login(link_worker)
    response = client.get(f"/directory/services/{garden.uuid}/")
    page = response.content.decode()
    assert 'data-testid="service-quality"' in page
    assert f"/directory/services/{garden.uuid}/checks/" in page


def test_a_stale_listing_is_flagged_to_a_link_worker(client, garden, link_worker):
    garden.last_reviewed_on = timezone.localdate() - datetime.timedelta(days=400)
    garden.save(update_fields=["last_reviewed_on"])
    client.force_login(link_worker)
    page = client.get(f"/directory/services/{garden.uuid}/").content.decode()
    assert "This listing may be out of date." in page


def test_the_public_does_not_see_the_checks(client, garden):
    page = client.get(f"/directory/services/{garden.uuid}/").content.decode()
    assert 'data-testid="service-quality"' not in page
    assert "/checks/" not in page
