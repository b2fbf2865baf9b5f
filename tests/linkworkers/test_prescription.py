"""Glenys's social prescription: what she agreed, where to go, when, who to call; her language."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from core.exceptions import InvalidTransition
from core.models import OutboxEmail
from linkworkers import services
from referrals.models import ReferralEvent
from tests.factories import GoalFactory, ScheduleFactory, ServiceAtLocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def prescribed(referred, link_worker):
    service = referred.service
    service.phone = "01443 000111"
    service.save()
    ServiceAtLocationFactory(service=service, location__address_1="Heol y Parc")
    ScheduleFactory(service=service, weekday=2, opens_at="10:00", closes_at="12:00")
    GoalFactory(referral=referred.referral, description="Get outdoors twice a week")
    return referred.referral


def _page(client, referral):
    return client.get(reverse("linkworkers:prescription", args=[referral.uuid]))


def test_it_shows_what_where_when_and_who(client, link_worker, prescribed):
    client.force_login(link_worker)
    body = _page(client, prescribed).content.decode()
    assert "Get outdoors twice a week" in body
    assert "Community gardening group" in body
    assert "Heol y Parc" in body
    assert "10:00" in body and "12:00" in body
    assert "01443 000111" in body


def test_it_leaves_out_what_did_not_go_ahead(client, link_worker, prescribed, referred, prys):
    services.connection_decline(connection=referred, actor=prys, reason="at_capacity")
    client.force_login(link_worker)
    assert "Community gardening group" not in _page(client, prescribed).content.decode()


def test_it_is_in_glenyss_language(client, link_worker, prescribed):
    prescribed.person.preferred_language = "cy"
    prescribed.person.save()
    client.force_login(link_worker)
    body = _page(client, prescribed).content.decode()
    assert 'lang="cy"' in body


def test_it_prints_without_the_navigation(client, link_worker, prescribed):
    client.force_login(link_worker)
    body = _page(client, prescribed).content.decode()
    # A stylesheet of its own, not inline style: the CSP allows none.
    assert "css/prescription.css" in body and "<style" not in body
    stylesheet = Path(finders.find("css/prescription.css")).read_text()
    assert "@media print" in stylesheet and ".site-header" in stylesheet


def test_the_text_version_says_there_is_no_sms_gateway(client, link_worker, prescribed):
    client.force_login(link_worker)
    body = _page(client, prescribed).content.decode()
    assert "no SMS gateway" in body
    assert 'data-testid="prescription-text"' in body


def test_llinos_emails_it_when_glenys_chose_email(client, link_worker, prescribed):
    person = prescribed.person
    person.contact_method, person.email = "email", "glenys@example.org"
    person.save()
    client.force_login(link_worker)
    client.post(reverse("linkworkers:prescription_email", args=[prescribed.uuid]))
    email = OutboxEmail.objects.get(to="glenys@example.org")
    assert email.subject == "Your social prescription"
    assert "Community gardening group" in email.body_text
    assert "Community gardening group" in email.body_html
    assert ReferralEvent.objects.filter(referral=prescribed, kind="message").exists()


def test_no_email_when_glenys_chose_the_phone(link_worker, prescribed):
    with pytest.raises(InvalidTransition, match="did not ask to be contacted by email"):
        services.prescription_email_send(referral=prescribed, actor=link_worker)
    assert not OutboxEmail.objects.filter(to=prescribed.person.email or "x").exists()


def test_carys_cannot_send_it(coordinator, prescribed):
    person = prescribed.person
    person.contact_method, person.email = "email", "glenys@example.org"
    person.save()
    with pytest.raises(InvalidTransition):
        services.prescription_email_send(referral=prescribed, actor=coordinator)


def test_the_email_button_rejects_get(client, link_worker, prescribed):
    client.force_login(link_worker)
    url = reverse("linkworkers:prescription_email", args=[prescribed.uuid])
    assert client.get(url).status_code == 405


def test_dafydd_cannot_send_it(client, other_link_worker, prescribed):
    client.force_login(other_link_worker)
    url = reverse("linkworkers:prescription_email", args=[prescribed.uuid])
    assert client.post(url).status_code == 404


BREAK_OUT = "</textarea><img src=x onerror=alert(1)>"


def test_a_name_cannot_break_out_of_the_text_version(client, link_worker, prescribed):
    """Issue 11, finding 2: the plain text (autoescape off, for the email) was included raw."""
    person = prescribed.person
    person.given_name = BREAK_OUT
    person.save()
    client.force_login(link_worker)
    body = _page(client, prescribed).content.decode()
    assert BREAK_OUT not in body
    assert "<img src=x" not in body
    escaped = "&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;"
    text_area = body.split('data-testid="prescription-text">', 1)[1].split("</textarea>", 1)[0]
    assert text_area.startswith(f"Your social prescription, {escaped}")


def test_the_email_text_keeps_the_name_as_typed(client, link_worker, prescribed):
    """Plain text is not HTML: the email's text part shows the name unescaped, as typed."""
    person = prescribed.person
    person.given_name, person.contact_method, person.email = BREAK_OUT, "email", "g@example.org"
    person.save()
    services.prescription_email_send(referral=prescribed, actor=link_worker)
    email = OutboxEmail.objects.get(to="g@example.org")
    assert f"Your social prescription, {BREAK_OUT}" in email.body_text
    assert BREAK_OUT not in email.body_html
