from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from directory.demo_upkeep import seed_upkeep
from directory.selectors import user_can_review_changes
from directory.services import service_change_propose
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_provider_home_shows_each_listing_and_links_to_the_manage_page(
    client, provider, garden, shed_service
):
    ServiceFactory(
        name="Seed swap",
        provider=garden.provider,
        capacity="waiting_list",
        waiting_band="over_3_months",
        last_reviewed_on=timezone.localdate() - timedelta(days=500),
    )
    service_change_propose(service=garden, actor=provider, data={"phone": "01234 567890"})
    client.force_login(provider)
    response = client.get("/")
    page = response.content.decode()
    assert "<h1>Your services</h1>" in page
    assert "<strong>Community garden</strong>:\n        Active, open to new people." in page
    assert "Active, waiting list (over 3 months)." in page
    assert page.count("May be out of date") == 1
    assert page.count("Change waiting for approval") == 1
    assert "Men&#x27;s shed" not in page
    assert 'href="/directory/manage/"' in page


def test_the_provider_home_query_count_does_not_grow_with_listings(client, provider, garden):
    client.force_login(provider)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    few = count()
    for _ in range(4):
        ServiceFactory(provider=garden.provider)
    assert count() == few


def test_the_provider_home_in_welsh_uses_welsh_names(client, provider, garden):
    client.force_login(provider)
    page = client.get("/cy/").content.decode()
    assert "<strong>Gardd gymunedol</strong>" in page
    assert 'href="/cy/directory/manage/"' in page


def test_the_demo_makes_the_coordinator_a_directory_editor_once():
    coordinator = UserFactory(username="coordinator", role="coordinator")
    seed_upkeep(StringIO())
    seed_upkeep(StringIO())
    group = Group.objects.get(name="Directory editors")
    assert list(group.user_set.all()) == [coordinator]
    assert user_can_review_changes(User.objects.get(pk=coordinator.pk))


def test_the_demo_needs_no_other_demo_data():
    out = StringIO()
    seed_upkeep(out)
    assert "group 'Directory editors' with nobody" in out.getvalue()


def test_the_menu_leads_providers_and_editors_to_their_pages(client, provider, editor, link_worker):
    client.force_login(provider)
    page = client.get("/").content.decode()
    assert 'href="/directory/manage/">Your listings</a>' in page
    assert "/directory/review/" not in page
    client.force_login(editor)
    page = client.get("/").content.decode()
    assert 'href="/directory/review/">Changes to review</a>' in page
    assert "/directory/manage/" not in page
    client.force_login(link_worker)
    page = client.get("/").content.decode()
    assert "/directory/review/" not in page
    assert "/directory/manage/" not in page
