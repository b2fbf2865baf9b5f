"""The provider side: Prys sees the referrals to his services, with only what Glenys shared."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.templatetags.nhs import nhs_number
from linkworkers import services
from linkworkers.models import ConnectionStatus
from referrals.models import Notification
from tests.factories import ConnectionFactory, ServiceFactory

pytestmark = pytest.mark.django_db

LIST = reverse("providers:connections")


def test_prys_sees_the_referral_to_his_group(client, prys, referred):
    client.force_login(prys)
    response = client.get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Community gardening group" in body
    assert "Glenys" in body
    assert "Glenys loves growing tomatoes." in body


def test_prys_sees_only_what_glenys_agreed_to_share(client, prys, referred):
    person = referred.referral.person
    person.address = "3 Heol y Felin"
    person.save()
    client.force_login(prys)
    body = client.get(LIST).content.decode()
    assert person.family_name not in body
    assert "3 Heol y Felin" not in body
    assert person.nhs_number not in body
    assert nhs_number(person.nhs_number) not in body  # as pages show it
    assert referred.referral.what_matters not in body
    assert person.phone in body


def test_without_consent_no_contact_details(client, prys, referred):
    person = referred.referral.person
    person.consent_to_share = False
    person.save()
    client.force_login(prys)
    body = client.get(LIST).content.decode()
    assert person.phone not in body
    assert "has not agreed to share their contact details" in body


def test_a_proposal_is_not_shown_to_prys(client, prys, proposed):
    client.force_login(prys)
    assert "Community gardening group" not in client.get(LIST).content.decode()


def test_rhodri_sees_none_of_pryss_referrals(client, rhodri, referred):
    client.force_login(rhodri)
    assert "Glenys" not in client.get(LIST).content.decode()


@pytest.mark.parametrize(
    "who", ["link_worker", "coordinator", "referrer", "commissioner", "outsider_referrer"]
)
def test_nobody_else_has_the_page(client, people, who):
    client.force_login(people[who])
    assert client.get(LIST).status_code == 404


def test_the_list_costs_the_same_whatever_its_length(client, prys, referred, gardening):
    client.force_login(prys)
    client.get(LIST)
    with CaptureQueriesContext(connection) as first:
        client.get(LIST)
    for _ in range(5):
        ConnectionFactory(
            service=gardening,
            status="referred",
            referred_at=referred.referred_at,
            referral__link_worker=referred.referral.link_worker,
        )
    with CaptureQueriesContext(connection) as second:
        client.get(LIST)
    assert len(first) == len(second)


def test_prys_accepts_on_the_page(client, prys, referred, link_worker):
    client.force_login(prys)
    response = client.post(
        reverse("providers:accept", args=[referred.uuid]), {"version": referred.version}
    )
    assert response.status_code == 302
    referred.refresh_from_db()
    assert referred.status == ConnectionStatus.ACCEPTED
    assert Notification.objects.filter(recipient=link_worker).exists()


def test_prys_declines_on_the_page(client, prys, referred):
    client.force_login(prys)
    prefix = f"d-{referred.uuid}"
    client.post(
        reverse("providers:decline", args=[referred.uuid]),
        {f"{prefix}-version": referred.version, f"{prefix}-reason": "at_capacity"},
    )
    referred.refresh_from_db()
    assert referred.status == ConnectionStatus.DECLINED
    assert referred.decline_reason == "at_capacity"


def test_a_decline_without_reason_says_so_and_changes_nothing(client, prys, referred):
    client.force_login(prys)
    response = client.post(reverse("providers:decline", args=[referred.uuid]), follow=True)
    assert "Choose why you cannot take the person on." in response.content.decode()
    referred.refresh_from_db()
    assert referred.status == ConnectionStatus.REFERRED


def test_prys_records_attendance_on_the_page(client, prys, referred):
    services.connection_accept(connection=referred, actor=prys)
    client.force_login(prys)
    prefix = f"a-{referred.uuid}"
    client.post(
        reverse("providers:attendance", args=[referred.uuid]), {f"{prefix}-attendance": "attending"}
    )
    referred.refresh_from_db()
    assert referred.status == ConnectionStatus.ATTENDING


@pytest.mark.parametrize("action", ["accept", "decline", "attendance"])
def test_rhodri_gets_404(client, rhodri, referred, action):
    client.force_login(rhodri)
    assert client.post(reverse(f"providers:{action}", args=[referred.uuid])).status_code == 404


def test_the_answer_rejects_get(client, prys, referred):
    client.force_login(prys)
    assert client.get(reverse("providers:accept", args=[referred.uuid])).status_code == 405


def test_the_home_page_lists_what_waits(client, prys, referred):
    ServiceFactory(provider=referred.service.provider)
    client.force_login(prys)
    body = client.get(reverse("home")).content.decode()
    assert "Referrals waiting for your answer" in body
    assert "Glenys" in body


def test_the_service_page_shows_the_figures(client, gardening):
    gardening.usual_reply_days = 2
    gardening.accepted_share = "0.5"
    gardening.save()
    body = client.get(reverse("directory:service", args=[gardening.uuid])).content.decode()
    assert "Usually replies to referrals within 2 days." in body
    assert "Accepts 50% of referrals." in body
