from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from accounts.models import AuditEvent
from core.exceptions import InvalidTransition
from directory.models import ServiceCheck
from directory.selectors import service_latest_checks
from directory.services import service_check_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "checked_on": "",
    "safeguarding_policy": "on",
    "insurance": "on",
    "dbs": "yes",
    "visited": "on",
    "notes": "Met the volunteers; the hall has a ramp.",
}


def checks_url(service):
    return f"/directory/services/{service.uuid}/checks/"


def record(service, actor, **overrides):
    values = {
        "safeguarding_policy": True,
        "insurance": False,
        "dbs": "not_relevant",
        "visited": False,
    }
    return service_check_record(service=service, actor=actor, **{**values, **overrides})


@pytest.mark.parametrize("who", ["link_worker", "editor"])
def test_link_workers_coordinators_and_editors_see_the_checks_page(client, request, garden, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(checks_url(garden))
    assert response.status_code == 200
    assert "Before you refer" in response.content.decode()


def test_a_coordinator_who_is_not_an_editor_may_check(client, garden):
    client.force_login(UserFactory(role="coordinator"))
    assert client.get(checks_url(garden)).status_code == 200


@pytest.mark.parametrize("who", ["provider", "commissioner", "outsider"])
def test_others_get_404(client, request, garden, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(checks_url(garden)).status_code == 404
    assert client.post(checks_url(garden), GOOD).status_code == 404
    assert not ServiceCheck.objects.exists()


def test_strangers_are_asked_to_sign_in(client, garden):
    response = client.get(checks_url(garden))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_missing_service_is_404(client, link_worker):
    client.force_login(link_worker)
    missing = "/directory/services/00000000-0000-0000-0000-000000000000/checks/"
    assert client.get(missing).status_code == 404


def test_it_records_a_check(client, link_worker, garden):
    client.force_login(link_worker)
    response = client.post(checks_url(garden), GOOD)
    assert response.status_code == 302
    assert response.url == checks_url(garden)
    check = ServiceCheck.objects.get()
    assert (check.service, check.checked_by, check.checked_on) == (
        garden,
        link_worker,
        timezone.localdate(),
    )
    assert (check.safeguarding_policy, check.insurance, check.dbs, check.visited) == (
        True,
        True,
        "yes",
        True,
    )
    assert check.notes == "Met the volunteers; the hall has a ramp."


def test_unticked_boxes_record_what_was_not_seen(client, link_worker, garden):
    client.force_login(link_worker)
    client.post(checks_url(garden), {"dbs": "no", "checked_on": "2026-01-05"})
    check = ServiceCheck.objects.get()
    assert (check.safeguarding_policy, check.insurance, check.visited) == (False, False, False)
    assert str(check.checked_on) == "2026-01-05"


def test_recording_writes_an_audit_row(client, link_worker, garden):
    client.force_login(link_worker)
    client.post(checks_url(garden), GOOD)
    event = AuditEvent.objects.get()
    check = ServiceCheck.objects.get()
    assert (event.actor, event.action, event.object_type, event.object_id) == (
        link_worker,
        "create",
        "directory.servicecheck",
        str(check.uuid),
    )


def test_it_rejects_other_methods(client, link_worker, garden):
    client.force_login(link_worker)
    assert client.put(checks_url(garden)).status_code == 405
    assert client.delete(checks_url(garden)).status_code == 405


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dbs": ""}, "dbs", "This field is required."),
        ({"dbs": "maybe"}, "dbs", "Select a valid choice."),
        ({"checked_on": "yesterday"}, "checked_on", "Enter a valid date."),
        (
            {"checked_on": str(timezone.localdate() + timedelta(days=1))},
            "checked_on",
            "The date of the check cannot be in the future.",
        ),
        ({"notes": "x" * 2001}, "notes", "Ensure this value has at most 2000 characters"),
    ],
)
def test_bad_input_names_the_field_and_records_nothing(
    client, link_worker, garden, changes, field, message
):
    client.force_login(link_worker)
    response = client.post(checks_url(garden), {**GOOD, **changes})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert not ServiceCheck.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_service_refuses_someone_who_may_not_check(provider, garden):
    with pytest.raises(InvalidTransition):
        record(garden, provider)


def test_the_page_shows_the_latest_check_and_staleness(client, link_worker, garden):
    garden.last_reviewed_on = timezone.localdate() - timedelta(days=400)
    garden.save()
    record(
        garden,
        UserFactory(first_name="Dafydd", last_name="Rees", role="link_worker"),
        checked_on=garden.last_reviewed_on,
    )
    record(garden, link_worker, insurance=True, dbs="no")
    client.force_login(link_worker)
    response = client.get(checks_url(garden))
    page = response.content.decode()
    assert "This listing may be out of date." in page
    assert "more than a year ago" in page
    latest = response.context["latest_check"]
    assert latest.checked_by == link_worker
    # Escaped as the page escapes it: a drawn name may be O'Sullivan.
    assert escape(f"{timezone.localdate():%-d %B %Y}, by {link_worker}") in page
    assert "DBS checks for staff: No" in page
    assert "Dafydd Rees" in page


def test_a_fresh_listing_shows_no_warning(client, link_worker, garden):
    client.force_login(link_worker)
    page = client.get(checks_url(garden)).content.decode()
    assert "This listing may be out of date." not in page
    assert "No one has recorded a check yet." in page


def test_the_checks_page_query_count_does_not_grow_with_checks(client, link_worker, garden):
    client.force_login(link_worker)
    record(garden, link_worker)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(checks_url(garden)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(5):
        record(garden, UserFactory(role="link_worker"))
    assert count() == few


def test_the_latest_check_of_many_services_takes_one_query(
    link_worker, garden, shed_service, django_assert_num_queries
):
    record(garden, link_worker, checked_on=timezone.localdate() - timedelta(days=30))
    newest = record(garden, link_worker, dbs="yes")
    with django_assert_num_queries(1):
        latest = service_latest_checks([garden.pk, shed_service.pk])
        assert latest[garden.pk].checked_by == link_worker
    assert latest == {garden.pk: newest}


def test_the_checks_page_is_in_welsh(client, link_worker, garden):
    client.force_login(link_worker)
    page = client.get("/cy" + checks_url(garden)).content.decode()
    assert "Cyn i chi atgyfeirio" in page
    assert "Gwiriadau cyn atgyfeirio: Gardd gymunedol" in page
