"""Who may open the correction and erasure pages: everyone else gets 404, as for no such person."""

import uuid

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from privacy.models import PersonCorrection

pytestmark = pytest.mark.django_db

# (page, who may open it)
PAGES = [
    ("privacy:person_correct", {"dpo", "coordinator"}),
    ("privacy:person_erase", {"dpo"}),
]


@pytest.fixture
def everyone(dpo, outsider_dpo, coordinator, link_worker, gp_receptionist, outsider_referrer,
             outsider_coordinator, provider_user, commissioner):  # fmt: skip
    return {
        "dpo": dpo,
        "coordinator": coordinator,
        "outsider_dpo": outsider_dpo,
        "outsider_coordinator": outsider_coordinator,
        "link_worker": link_worker,
        "referrer": gp_receptionist,
        "outsider_referrer": outsider_referrer,
        "provider": provider_user,
        "commissioner": commissioner,
    }


@pytest.mark.parametrize(("page", "allowed"), PAGES)
def test_each_role_sees_the_page_or_404(client, everyone, gwenllian, closed_case, page, allowed):
    for who, user in everyone.items():
        client.force_login(user)
        status = client.get(reverse(page, args=[gwenllian.uuid])).status_code
        assert status == (200 if who in allowed else 404), (page, who)


@pytest.mark.parametrize(("page", "allowed"), PAGES)
def test_a_post_by_anyone_else_is_404_and_changes_nothing(
    client, everyone, gwenllian, closed_case, page, allowed
):
    data = {"family_name": "X", "reason": "Because.", "confirm_reference": "SP-GWEN001"}
    for who, user in everyone.items():
        if who in allowed:
            continue
        client.force_login(user)
        assert client.post(reverse(page, args=[gwenllian.uuid]), data).status_code == 404, who
    gwenllian.refresh_from_db()
    assert (gwenllian.family_name, gwenllian.erased_at) == ("Prydderch", None)
    assert not PersonCorrection.objects.exists()
    assert not AuditEvent.objects.filter(
        action__in=[AuditEvent.Action.CHANGE, AuditEvent.Action.ERASE]
    ).exists()


@pytest.mark.parametrize(("page", "allowed"), PAGES)
def test_another_schemes_person_and_no_such_person_are_404_alike(
    client, dpo, other_scheme_person, page, allowed
):
    client.force_login(dpo)
    assert client.get(reverse(page, args=[other_scheme_person.uuid])).status_code == 404
    assert client.get(reverse(page, args=[uuid.uuid4()])).status_code == 404


@pytest.mark.parametrize(("page", "allowed"), PAGES)
def test_signed_out_goes_to_sign_in(client, gwenllian, closed_case, page, allowed):
    response = client.get(reverse(page, args=[gwenllian.uuid]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("page", "allowed"), PAGES)
def test_only_get_and_post(client, dpo, gwenllian, closed_case, page, allowed):
    client.force_login(dpo)
    assert client.put(reverse(page, args=[gwenllian.uuid])).status_code == 405
    assert client.delete(reverse(page, args=[gwenllian.uuid])).status_code == 405
