import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from core.exceptions import InvalidTransition
from directory.exceptions import NothingChanged
from directory.models import Service, ServiceChange
from directory.services import service_change_propose
from tests.directory.upkeep.conftest import form_data
from tests.factories import ProviderFactory, ServiceFactory

pytestmark = pytest.mark.django_db

MANAGE = "/directory/manage/"


def edit_url(service):
    return f"/directory/manage/services/{service.uuid}/edit/"


def test_the_manage_page_lists_the_providers_own_services_only(
    client, provider, garden, shed_service
):
    client.force_login(provider)
    response = client.get(MANAGE)
    assert response.status_code == 200
    assert "Community garden" in response.content.decode()
    assert "Men&#x27;s shed" not in response.content.decode()
    assert edit_url(garden) in response.content.decode()


def test_the_manage_page_is_for_provider_staff(client, link_worker):
    client.force_login(link_worker)
    assert client.get(MANAGE).status_code == 403


def test_the_manage_page_asks_strangers_to_sign_in(client):
    response = client.get(MANAGE)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_manage_page_query_count_does_not_grow_with_services(client, provider, garden):
    client.force_login(provider)
    service_change_propose(service=garden, actor=provider, data={"phone": "01234 567890"})

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(MANAGE).status_code == 200
        return len(queries)

    few = count()
    for n in range(4):
        service = ServiceFactory(provider=garden.provider)
        service_change_propose(service=service, actor=provider, data={"phone": f"0{n}"})
    assert count() == few


def test_the_edit_form_shows_the_listing(client, provider, garden):
    client.force_login(provider)
    response = client.get(edit_url(garden))
    assert response.status_code == 200
    assert 'value="Gardd gymunedol"' in response.content.decode()


def test_it_proposes_a_change_without_changing_the_service(client, provider, garden):
    client.force_login(provider)
    data = form_data(
        garden, name_cy="Gardd y gymuned", capacity="waiting_list", waiting_band="1_to_3_months"
    )
    response = client.post(edit_url(garden), data)
    assert response.status_code == 302
    assert response.url == MANAGE
    change = ServiceChange.objects.get(service=garden)
    assert change.status == ServiceChange.Status.PENDING
    assert change.proposed_by == provider
    assert change.before == {"name_cy": "Gardd gymunedol", "capacity": "open", "waiting_band": ""}
    assert change.after == {
        "name_cy": "Gardd y gymuned",
        "capacity": "waiting_list",
        "waiting_band": "1_to_3_months",
    }
    garden.refresh_from_db()
    assert garden.name_cy == "Gardd gymunedol"
    assert garden.capacity == "open"


def test_it_writes_an_audit_row(client, provider, garden):
    client.force_login(provider)
    client.post(edit_url(garden), form_data(garden, phone="01234 567890"))
    change = ServiceChange.objects.get()
    event = AuditEvent.objects.get(object_type="directory.servicechange")
    assert (event.actor, event.action, event.object_id) == (provider, "create", str(change.uuid))
    assert "phone" in event.detail


def test_it_rejects_other_methods(client, provider, garden):
    client.force_login(provider)
    assert client.put(edit_url(garden)).status_code == 405
    assert client.delete(edit_url(garden)).status_code == 405


def test_an_outsider_gets_404(client, outsider, garden):
    client.force_login(outsider)
    assert client.get(edit_url(garden)).status_code == 404
    assert client.post(edit_url(garden), form_data(garden, phone="0")).status_code == 404
    assert not ServiceChange.objects.exists()


def test_a_service_with_no_staff_organisation_is_nobodys_to_edit(client, provider):
    orphan = ServiceFactory(provider=ProviderFactory(organisation=None))
    client.force_login(provider)
    assert client.get(edit_url(orphan)).status_code == 404


@pytest.mark.parametrize("role_user", ["link_worker", "commissioner", "editor"])
def test_people_who_do_not_keep_the_listing_get_404(client, request, garden, role_user):
    client.force_login(request.getfixturevalue(role_user))
    assert client.post(edit_url(garden), form_data(garden, phone="0")).status_code == 404
    assert not ServiceChange.objects.exists()


def test_a_missing_service_is_404(client, provider):
    client.force_login(provider)
    assert (
        client.get(
            "/directory/manage/services/00000000-0000-0000-0000-000000000000/edit/"
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"capacity": "waiting_list", "waiting_band": ""},
            "waiting_band",
            "Say how long the wait is when there is a waiting list.",
        ),
        (
            {"capacity": "open", "waiting_band": "over_3_months"},
            "waiting_band",
            "Leave the waiting time empty unless there is a waiting list.",
        ),
        (
            {"minimum_age": 65, "maximum_age": 18},
            "maximum_age",
            "The maximum age cannot be below the minimum age.",
        ),
        ({"email": "not an address"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
        ({"status": "sleeping"}, "status", "Select a valid choice."),
        ({"minimum_age": -1}, "minimum_age", "Ensure this value is greater than or equal to 0."),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    client, provider, garden, changes, field, message
):
    client.force_login(provider)
    response = client.post(edit_url(garden), form_data(garden, **changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert not ServiceChange.objects.exists()
    assert not AuditEvent.objects.filter(object_type="directory.servicechange").exists()


def test_sending_the_listing_unchanged_is_refused(client, provider, garden):
    client.force_login(provider)
    response = client.post(edit_url(garden), form_data(garden))
    assert response.status_code == 400
    assert "You have not changed anything" in response.content.decode()
    assert not ServiceChange.objects.exists()


def test_a_second_edit_replaces_the_pending_change(client, provider, garden):
    client.force_login(provider)
    client.post(edit_url(garden), form_data(garden, phone="01111 111111"))
    first = ServiceChange.objects.get()

    form = client.get(edit_url(garden))
    assert 'value="01111 111111"' in form.content.decode()
    assert "is waiting for approval" in form.content.decode()

    client.post(
        edit_url(garden),
        form_data(garden, phone="01111 111111", is_free=False, cost_description="£2 a session"),
    )
    change = ServiceChange.objects.get()
    assert change.pk == first.pk
    assert change.after == {
        "is_free": False,
        "cost_description": "£2 a session",
        "phone": "01111 111111",
    }
    assert change.before == {"is_free": True, "cost_description": "", "phone": ""}
    assert AuditEvent.objects.filter(object_id=str(change.uuid), action="change").count() == 1


def test_sending_the_listing_back_withdraws_the_pending_change(client, provider, garden):
    client.force_login(provider)
    client.post(edit_url(garden), form_data(garden, phone="01111 111111"))
    response = client.post(edit_url(garden), form_data(garden))
    assert response.status_code == 302
    assert not ServiceChange.objects.exists()
    assert AuditEvent.objects.filter(detail__startswith="service change withdrawn").count() == 1


def test_the_service_refuses_an_outsider(outsider, garden):
    with pytest.raises(InvalidTransition):
        service_change_propose(service=garden, actor=outsider, data={"phone": "0"})


def test_the_service_refuses_unknown_fields(provider, garden):
    from core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        service_change_propose(service=garden, actor=provider, data={"last_reviewed_on": None})
    assert "cannot be changed here: last_reviewed_on" in str(error.value.field_errors)


def test_the_service_refuses_no_change(provider, garden):
    with pytest.raises(NothingChanged):
        service_change_propose(service=garden, actor=provider, data={"name": garden.name})


def test_the_manage_page_shows_pending_changes_and_decisions(client, provider, garden, editor):
    from directory.services import service_change_reject

    change = service_change_propose(service=garden, actor=provider, data={"phone": "0"})
    client.force_login(provider)
    assert "Waiting for approval" in client.get(MANAGE).content.decode()
    service_change_reject(change=change, actor=editor, reason="Please give a full phone number.")
    page = client.get(MANAGE).content.decode()
    assert "Rejected" in page
    assert "Please give a full phone number." in page
    assert Service.objects.get(pk=garden.pk).phone == ""


def test_the_manage_page_only_answers_get(client, provider):
    client.force_login(provider)
    assert client.post(MANAGE).status_code == 405
