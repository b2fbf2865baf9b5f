"""Who may see statistics, and that commissioners never see a person's record."""

from unittest import mock

import pytest
from django.urls import reverse

from accounts.models import Role
from core.templatetags.nhs import nhs_number
from reporting.models import RollupRun
from reporting.services import rollup_full
from tests.factories import LinkWorkerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_manager_sees_their_schemes_dashboard(client, coordinator, known_data):
    rollup_full()
    client.force_login(coordinator)
    response = client.get(reverse("reporting:dashboard"))
    assert response.status_code == 200
    assert response.context["scope"].scheme == coordinator.organisation
    assert [t.key for t in response.context["tables"]][:4] == [
        "referrals_by_month",
        "referrals_by_week",
        "referrals_by_year",
        "funnel",
    ]


def test_the_commissioner_sees_their_areas_dashboard(client, commissioner, known_data):
    rollup_full()
    client.force_login(commissioner)
    response = client.get(reverse("reporting:dashboard"))
    assert response.status_code == 200
    assert response.context["scope"].area == commissioner.organisation.area


@pytest.mark.parametrize(
    "role", [Role.REFERRER, Role.LINK_WORKER, Role.PROVIDER, Role.PEER_NAVIGATOR, Role.ADMIN]
)
def test_other_roles_have_no_dashboard(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("reporting:dashboard")).status_code == 403
    assert client.post(reverse("reporting:refresh")).status_code == 403


def test_a_coordinator_without_a_scheme_has_no_dashboard(client):
    client.force_login(UserFactory(role=Role.COORDINATOR))  # organisation is a GP practice
    assert client.get(reverse("reporting:dashboard")).status_code == 403


def test_signing_in_comes_first(client):
    response = client.get(reverse("reporting:dashboard"))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_a_bad_filter_names_the_field_and_shows_the_default_period(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("reporting:dashboard"), {"start": "March", "end": "2026-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["start"] == [
        "Enter a month as YYYY-MM, for example 2026-04."
    ]


def test_the_last_month_must_not_come_before_the_first(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("reporting:dashboard"), {"start": "2026-05", "end": "2026-01"})
    assert response.context["form"].errors["end"] == [
        "The last month must not be before the first."
    ]


def test_a_commissioner_cannot_filter_to_an_area_outside_theirs(client, commissioner):
    from tests.factories import AreaFactory

    elsewhere = AreaFactory()
    client.force_login(commissioner)
    response = client.get(reverse("reporting:dashboard"), {"area": elsewhere.pk})
    assert "area" in response.context["form"].errors
    assert response.context["filters"].area_ids == response.context["scope"].area_ids


def test_refresh_queues_a_run_and_comes_back_to_the_dashboard(
    client, coordinator, known_data, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with (
        mock.patch("reporting.tasks.rollup_run_task.apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("reporting:refresh"), {"next": "/reporting/?start=2026-03"})
    assert response.status_code == 302
    assert response.url.startswith("/reporting/?start=2026-03")
    run = RollupRun.objects.get()
    assert run.requested_by == coordinator
    assert run.kind == RollupRun.Kind.INCREMENTAL
    assert queued.call_count == 1 and queued.call_args.args[0] == (run.pk,)


def test_refresh_never_sends_people_to_another_site(client, coordinator):
    client.force_login(coordinator)
    with mock.patch("reporting.tasks.rollup_run_task.apply_async"):
        response = client.post(reverse("reporting:refresh"), {"next": "https://evil.example/"})
    assert response.url.startswith("/reporting/")


def test_refresh_wants_a_post(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("reporting:refresh")).status_code == 405


def test_the_progress_of_a_run_is_readable(client, coordinator):
    from django.utils import timezone

    run = RollupRun.objects.create(
        kind=RollupRun.Kind.FULL, state=RollupRun.State.RUNNING, progress=40,
        created_at=timezone.now(),
    )  # fmt: skip
    client.force_login(coordinator)
    response = client.get(reverse("reporting:run_status", args=[run.uuid]))
    assert response.json() == {
        "state": "running",
        "state_label": "Running",
        "progress": 40,
        "finished": False,
    }


def test_an_unknown_run_is_not_found(client, coordinator):
    import uuid

    client.force_login(coordinator)
    assert client.get(reverse("reporting:run_status", args=[uuid.uuid4()])).status_code == 404


def test_commissioners_never_see_a_persons_record(client, commissioner, known_data):
    """Every page that shows a person answers 404 or 403 to a commissioner, even in their area."""
    # Surnames no page could show by chance (a random "White" met a staff member's name).
    for number, name in enumerate(("r1", "r2", "r4")):
        person = known_data[name].person
        person.family_name = f"Qxvorrin{number}"
        person.save(update_fields=["family_name"])
    rollup_full()
    r1 = known_data["r1"]
    client.force_login(commissioner)
    person_pages = [
        reverse("referrals:detail", args=[r1.uuid]),
        reverse("linkworkers:case", args=[r1.uuid]),
        reverse("linkworkers:what_matters", args=[r1.uuid]),
        reverse("linkworkers:outcomes", args=[r1.uuid]),
        reverse("linkworkers:connections", args=[r1.uuid]),
        reverse("linkworkers:people", args=[r1.uuid]),
        reverse("linkworkers:prescription", args=[r1.uuid]),
        reverse("linkworkers:peer_case", args=[r1.uuid]),
    ]
    for url in person_pages:
        assert client.get(url).status_code in (403, 404), url
    for url in (
        reverse("referrals:list"),
        reverse("referrals:triage"),
        reverse("linkworkers:caseload"),
        reverse("linkworkers:waiting"),
    ):
        response = client.get(url)
        assert response.status_code in (403, 404) or r1.reference not in response.content.decode()
    # The dashboard itself names no one.
    page = client.get(reverse("reporting:dashboard")).content.decode()
    for referral in (known_data["r1"], known_data["r2"], known_data["r4"]):
        assert referral.reference not in page
        assert referral.person.family_name not in page
        assert referral.person.nhs_number not in page
        assert nhs_number(referral.person.nhs_number) not in page  # as pages show it


def test_a_link_workers_name_is_for_their_manager_only(
    client, commissioner, coordinator, known_data
):
    rollup_full()
    client.force_login(coordinator)
    assert "Llinos Watkins" in client.get(reverse("reporting:dashboard")).content.decode()
    client.force_login(commissioner)
    assert "Llinos Watkins" not in client.get(reverse("reporting:dashboard")).content.decode()


def test_another_schemes_manager_sees_none_of_this_scheme(client, known_data):
    from tests.factories import SchemeFactory

    rollup_full()
    other = UserFactory(role=Role.COORDINATOR, organisation=SchemeFactory())
    LinkWorkerFactory(user=UserFactory(role=Role.LINK_WORKER, organisation=other.organisation))
    client.force_login(other)
    response = client.get(reverse("reporting:dashboard"), {"start": "2026-03", "end": "2026-04"})
    funnel = next(t for t in response.context["tables"] if t.key == "funnel")
    assert funnel.rows[0][1] == 0
