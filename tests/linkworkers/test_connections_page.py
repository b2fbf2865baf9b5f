"""The connections tab: who may open it, the search inside the case, proposing, unmet needs."""

import contextlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.postcodes import PostcodeError
from directory import postcodes
from directory.models import ServiceCheck
from directory.services import service_refresh_search
from linkworkers import services
from linkworkers.models import Connection, ConnectionStatus, UnmetNeed
from tests.factories import (
    ConnectionFactory,
    LocationFactory,
    ReferralFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    TaxonomyTermFactory,
)

pytestmark = pytest.mark.django_db

PAGES = ["linkworkers:connections", "linkworkers:prescription"]
# Glenys's case, allocated to Llinos: who may open its connection pages?
ACCESS = {
    "link_worker": 200,
    "other_link_worker": 404,
    "coordinator": 200,
    "referrer": 404,
    "outsider_referrer": 404,
    "outsider_coordinator": 404,
    "provider": 404,
    "commissioner": 404,
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("who", "status"), ACCESS.items())
def test_who_may_open_the_page(client, people, in_progress, page, who, status):
    client.force_login(people[who])
    assert client.get(reverse(page, args=[in_progress.uuid])).status_code == status


def test_prys_of_the_service_cannot_open_the_case(client, referred, prys):
    client.force_login(prys)
    url = reverse("linkworkers:connections", args=[referred.referral.uuid])
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, in_progress):
    response = client.get(reverse("linkworkers:connections", args=[in_progress.uuid]))
    assert response.status_code == 302


def test_the_tab_sits_between_outcomes_and_close(client, link_worker, in_progress):
    client.force_login(link_worker)
    html = client.get(reverse("linkworkers:connections", args=[in_progress.uuid])).content
    assert html.index(b"Outcomes") < html.index(b">Connections<") < html.index(b">Close<")


def _search(client, case, **params):
    # PostgreSQL searches a document the services keep current; factories skip them.
    service_refresh_search()
    return client.get(reverse("linkworkers:connections", args=[case.uuid]), params)


def test_the_search_shows_checks_staleness_and_figures(client, link_worker, in_progress):
    ServiceFactory(
        name="Stale garden", last_reviewed_on=None, usual_reply_days=3, accepted_share="0.750"
    )
    client.force_login(link_worker)
    response = _search(client, in_progress, q="garden")
    body = response.content.decode()
    assert "Stale garden" in body
    assert "This listing may be out of date." in body
    assert "Usually replies within 3 days" in body
    assert "Accepts 75% of referrals." in body


def test_the_search_orders_by_distance_from_home(client, link_worker, in_progress):
    far = ServiceAtLocationFactory(
        service__name="Far garden", location=LocationFactory(easting=330000, northing=190000)
    ).service
    near = ServiceAtLocationFactory(service__name="Near garden").service
    client.force_login(link_worker)
    response = _search(client, in_progress, q="garden", nearby="on")
    names = [result.service.name for result in response.context["results"]]
    assert names.index(near.name) < names.index(far.name)


def test_the_search_costs_the_same_whatever_the_results(client, link_worker, in_progress):
    def count():
        service_refresh_search()
        url = reverse("linkworkers:connections", args=[in_progress.uuid])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"q": "garden"})
        return len(queries), len(response.context["results"])

    client.force_login(link_worker)
    ServiceFactory(name="Garden one")
    # The person's district goes into the postcode table at its first lookup, once.
    with contextlib.suppress(PostcodeError):
        postcodes.lookup(in_progress.person.postcode)
    first = count()
    for n in range(6):
        service = ServiceAtLocationFactory(service__name=f"Garden {n}").service
        ServiceCheck.objects.create(
            service=service,
            checked_by=link_worker,
            checked_on="2026-01-05",
            safeguarding_policy=True,
            insurance=True,
            dbs="yes",
            visited=False,
        )
        ConnectionFactory(referral=in_progress, service=service, created_by=link_worker)
    again = count()
    assert (first[1], again[1]) == (1, 7)
    assert again[0] == first[0]


def test_llinos_proposes_and_refers_from_the_results(client, link_worker, in_progress, gardening):
    client.force_login(link_worker)
    response = client.post(
        reverse("linkworkers:connection_propose", args=[in_progress.uuid]),
        {"service": str(gardening.uuid), "note_for_provider": "Likes tomatoes", "refer": "on"},
    )
    assert response.status_code == 302
    connection = Connection.objects.get()
    assert connection.status == ConnectionStatus.REFERRED
    assert connection.note_for_provider == "Likes tomatoes"


def test_a_missing_service_names_the_field(client, link_worker, in_progress):
    client.force_login(link_worker)
    response = client.post(
        reverse("linkworkers:connection_propose", args=[in_progress.uuid]), {"service": "nope"}
    )
    assert response.status_code == 400
    assert "Service" in response.content.decode()
    assert not Connection.objects.exists()


def test_dafydd_cannot_propose(client, other_link_worker, in_progress, gardening):
    client.force_login(other_link_worker)
    response = client.post(
        reverse("linkworkers:connection_propose", args=[in_progress.uuid]),
        {"service": str(gardening.uuid)},
    )
    assert response.status_code == 404
    assert not Connection.objects.exists()


def test_carys_may_read_but_not_propose(client, coordinator, in_progress, gardening):
    client.force_login(coordinator)
    response = client.post(
        reverse("linkworkers:connection_propose", args=[in_progress.uuid]),
        {"service": str(gardening.uuid)},
    )
    assert response.status_code == 403


def test_propose_rejects_get(client, link_worker, in_progress):
    client.force_login(link_worker)
    url = reverse("linkworkers:connection_propose", args=[in_progress.uuid])
    assert client.get(url).status_code == 405


def test_the_refer_button_refers(client, link_worker, proposed, prys):
    client.force_login(link_worker)
    url = reverse("linkworkers:connection_refer", args=[proposed.referral.uuid, proposed.uuid])
    client.post(url, {"version": proposed.version})
    proposed.refresh_from_db()
    assert proposed.status == ConnectionStatus.REFERRED


def test_another_cases_connection_is_404(client, link_worker, proposed, case):
    other = ReferralFactory(status="in_progress", link_worker=link_worker)
    client.force_login(link_worker)
    url = reverse("linkworkers:connection_refer", args=[other.uuid, proposed.uuid])
    assert client.post(url).status_code == 404


def test_the_stop_button_stops(client, link_worker, referred):
    client.force_login(link_worker)
    url = reverse("linkworkers:connection_stop", args=[referred.referral.uuid, referred.uuid])
    client.post(url, {"version": referred.version, "reason": "Changed her mind"})
    referred.refresh_from_db()
    assert referred.status == ConnectionStatus.STOPPED


def test_the_case_shows_its_connections_and_history(client, link_worker, referred):
    client.force_login(link_worker)
    services.connection_stop(connection=referred, actor=link_worker, reason="Moved away")
    body = client.get(reverse("linkworkers:connections", args=[referred.referral.uuid]))
    text = body.content.decode()
    assert "Community gardening group" in text and "Stopped" in text
    assert "Moved away" in text


def test_llinos_records_an_unmet_need_on_the_page(client, link_worker, in_progress):
    term = TaxonomyTermFactory(taxonomy__name="Social prescribing categories", name="Men's groups")
    client.force_login(link_worker)
    response = client.post(
        reverse("linkworkers:unmet_need", args=[in_progress.uuid]),
        {"category": str(term.uuid), "notes": "None nearby"},
    )
    assert response.status_code == 302
    assert UnmetNeed.objects.get().category == term


def test_an_unmet_need_without_a_category_names_it(client, link_worker, in_progress):
    client.force_login(link_worker)
    response = client.post(
        reverse("linkworkers:unmet_need", args=[in_progress.uuid]), {"notes": "None nearby"}
    )
    assert response.status_code == 400
    assert response.context["need_form"].errors["category"]
    assert not UnmetNeed.objects.exists()


def test_the_closure_form_starts_from_the_connections(client, link_worker, referred, prys):
    services.connection_accept(connection=referred, actor=prys)
    client.force_login(link_worker)
    response = client.get(reverse("linkworkers:close", args=[referred.referral.uuid]))
    assert response.context["form"].initial["connected_to"] == (
        "Community gardening group (accepted)"
    )
