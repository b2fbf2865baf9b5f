"""Glenys gets her social prescription by text, in Welsh, through GOV.UK Notify (a fake).

Llinos holds her case. Without a Notify key the page offers the text to copy,
as before; with one, the text goes by Notify's API, its delivery status is read
back, and a session reminder goes the day before the gardening group meets.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from core.exceptions import InvalidTransition
from core.models import OutboxEmail
from linkworkers import services
from linkworkers.models import ConnectionStatus, PersonMessage
from referrals.models import ReferralEvent
from tests.factories import GoalFactory, ScheduleFactory
from tests.linkworkers.fake_notify import API_KEY, FakeNotify

pytestmark = pytest.mark.django_db

TEMPLATES = {
    "prescription_sms": "11111111-1111-4111-8111-111111111111",
    "prescription_sms_cy": "22222222-2222-4222-8222-222222222222",
    "prescription_email": "33333333-3333-4333-8333-333333333333",
    "prescription_email_cy": "",
    "reminder_sms": "44444444-4444-4444-8444-444444444444",
    "reminder_sms_cy": "55555555-5555-4555-8555-555555555555",
    "reminder_email": "66666666-6666-4666-8666-666666666666",
    "reminder_email_cy": "",
}


@pytest.fixture
def notify(settings):
    fake = FakeNotify(templates={value for value in TEMPLATES.values() if value})
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_BASE_URL = fake.url
    settings.NOTIFY_TEMPLATES = dict(TEMPLATES)
    yield fake
    fake.close()


@pytest.fixture
def glenys_by_text(referred):
    referral = referred.referral
    person = referral.person
    person.contact_method, person.phone, person.preferred_language = "text", "07700 900123", "cy"
    person.save()
    GoalFactory(referral=referral, description="Mynd allan ddwywaith yr wythnos")
    return referral


def _send_text(client, referral, capture):
    with capture(execute=True):
        return client.post(reverse("linkworkers:prescription_text", args=[referral.uuid]))


def _page(client, referral) -> str:
    return client.get(reverse("linkworkers:prescription", args=[referral.uuid])).content.decode()


def test_without_a_key_the_page_offers_the_text_to_copy(client, link_worker, glenys_by_text):
    client.force_login(link_worker)
    body = _page(client, glenys_by_text)
    assert 'data-testid="prescription-text"' in body
    assert "prescription/text/" not in body
    with pytest.raises(InvalidTransition, match="not set up here"):
        services.prescription_text_send(referral=glenys_by_text, actor=link_worker)
    assert not PersonMessage.objects.exists()


def test_llinos_texts_it_in_welsh_through_notify(
    client, link_worker, glenys_by_text, notify, django_capture_on_commit_callbacks
):
    client.force_login(link_worker)
    assert "prescription/text/" in _page(client, glenys_by_text)
    response = _send_text(client, glenys_by_text, django_capture_on_commit_callbacks)
    assert response.status_code == 302

    (sent,) = notify.sent
    assert sent["kind"] == "sms"
    assert sent["template_id"] == TEMPLATES["prescription_sms_cy"]  # the Welsh template
    assert sent["phone_number"] == "07700 900123"
    assert sent["personalisation"]["body"].startswith("Eich presgripsiwn cymdeithasol, Glenys")
    assert "Mynd allan ddwywaith yr wythnos" in sent["personalisation"]["body"]
    assert "Community gardening group" in sent["personalisation"]["body"]
    assert notify.bad_tokens == 0  # every request carried a JWT the fake verified

    message = PersonMessage.objects.get()
    assert (message.state, message.channel, message.language) == ("sent", "sms", "cy")
    assert str(message.notify_id) == sent["id"] and sent["reference"] == str(message.uuid)
    assert ReferralEvent.objects.filter(referral=glenys_by_text, kind="message").exists()
    assert AuditEvent.objects.filter(detail="social prescription sent through Notify (sms)")


def test_the_delivery_status_is_read_back(
    client, link_worker, glenys_by_text, notify, django_capture_on_commit_callbacks
):
    client.force_login(link_worker)
    _send_text(client, glenys_by_text, django_capture_on_commit_callbacks)
    message = PersonMessage.objects.get()
    assert services.person_messages_sweep() == {"sent": 0, "checked": 1}
    message.refresh_from_db()
    assert (message.state, message.notify_status) == ("sent", "sending")

    notify.statuses[str(message.notify_id)] = "delivered"
    services.person_messages_sweep()
    message.refresh_from_db()
    assert (message.state, message.notify_status) == ("delivered", "delivered")
    assert "Delivered" in _page(client, glenys_by_text)
    # Delivered is final: nothing more to ask.
    assert services.person_messages_sweep() == {"sent": 0, "checked": 0}


def test_a_permanent_failure_shows_as_not_delivered(
    client, link_worker, glenys_by_text, notify, django_capture_on_commit_callbacks
):
    client.force_login(link_worker)
    _send_text(client, glenys_by_text, django_capture_on_commit_callbacks)
    message = PersonMessage.objects.get()
    notify.statuses[str(message.notify_id)] = "permanent-failure"
    services.person_messages_sweep()
    message.refresh_from_db()
    assert message.state == "failed"
    assert "Not delivered" in _page(client, glenys_by_text)


def test_a_number_notify_refuses_fails_the_message_not_the_page(
    client, link_worker, glenys_by_text, notify, django_capture_on_commit_callbacks
):
    person = glenys_by_text.person
    person.phone = "01443 000111"  # a landline: Notify answers 400
    person.save()
    client.force_login(link_worker)
    assert _send_text(client, glenys_by_text, django_capture_on_commit_callbacks).status_code == 302
    message = PersonMessage.objects.get()
    assert message.state == "failed"
    assert "Not a UK mobile number" in message.last_error
    assert "Not delivered" in _page(client, glenys_by_text)
    assert notify.sent == []


def test_an_outage_leaves_it_for_the_sweep(
    client, link_worker, glenys_by_text, notify, django_capture_on_commit_callbacks
):
    notify.down = True
    client.force_login(link_worker)
    assert _send_text(client, glenys_by_text, django_capture_on_commit_callbacks).status_code == 302
    message = PersonMessage.objects.get()
    assert (message.state, message.attempts) == ("queued", 1)
    assert "503" in message.last_error

    notify.down = False
    later = timezone.now() + timedelta(minutes=5)
    assert services.person_messages_sweep(now=later)["sent"] == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)
    # Sent once, whatever runs again.
    assert services.person_message_send(message_id=message.pk) is False
    assert len(notify.sent) == 1


def test_a_wrong_key_is_refused_by_notify(
    settings, link_worker, glenys_by_text, notify, django_capture_on_commit_callbacks
):
    settings.NOTIFY_API_KEY = API_KEY[:-4] + "0000"
    with django_capture_on_commit_callbacks(execute=True):
        services.prescription_text_send(referral=glenys_by_text, actor=link_worker)
    message = PersonMessage.objects.get()
    assert message.state == "failed" and message.last_error.startswith("403")
    assert notify.bad_tokens == 1 and notify.sent == []


def test_email_goes_through_notify_when_it_is_set_up(
    link_worker, referred, notify, django_capture_on_commit_callbacks
):
    person = referred.referral.person
    person.contact_method, person.email = "email", "glenys@example.org"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.prescription_email_send(referral=referred.referral, actor=link_worker)
    (sent,) = notify.sent
    assert sent["kind"] == "email" and sent["email_address"] == "glenys@example.org"
    assert sent["template_id"] == TEMPLATES["prescription_email"]
    assert sent["personalisation"]["subject"] == "Your social prescription"
    assert not OutboxEmail.objects.filter(to="glenys@example.org").exists()


def test_a_welsh_speaker_gets_the_english_template_when_no_welsh_one_is_set(
    link_worker, referred, notify, django_capture_on_commit_callbacks
):
    person = referred.referral.person
    person.contact_method, person.email, person.preferred_language = "email", "g@example.org", "cy"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.prescription_email_send(referral=referred.referral, actor=link_worker)
    assert notify.sent[0]["template_id"] == TEMPLATES["prescription_email"]


def test_a_text_too_long_for_notify_is_refused_with_a_reason(link_worker, glenys_by_text, notify):
    for n in range(20):
        GoalFactory(referral=glenys_by_text, description=f"Goal {n} " + "x" * 60)
    with pytest.raises(InvalidTransition, match="too long for a text message"):
        services.prescription_text_send(referral=glenys_by_text, actor=link_worker)
    assert not PersonMessage.objects.exists()


def test_only_the_person_who_asked_for_texts_gets_one(link_worker, referred, notify):
    with pytest.raises(InvalidTransition, match="did not ask to be contacted by text"):
        services.prescription_text_send(referral=referred.referral, actor=link_worker)


def test_the_text_button_rejects_get_and_outsiders(
    client, link_worker, other_link_worker, glenys_by_text, notify
):
    url = reverse("linkworkers:prescription_text", args=[glenys_by_text.uuid])
    client.force_login(link_worker)
    assert client.get(url).status_code == 405
    client.force_login(other_link_worker)
    assert client.post(url).status_code == 404
    assert not PersonMessage.objects.exists()


def test_a_reminder_goes_the_day_before_a_session_once(
    referred, glenys_by_text, notify, django_capture_on_commit_callbacks
):
    referred.status = ConnectionStatus.ACCEPTED
    referred.save()
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    ScheduleFactory(service=referred.service, weekday=tomorrow.isoweekday(), opens_at="10:30",
                    closes_at="12:00")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert services.session_reminders_send(today=today) == 1
        assert services.session_reminders_send(today=today) == 0
    (sent,) = notify.sent
    assert sent["template_id"] == TEMPLATES["reminder_sms_cy"]
    assert "Community gardening group" in sent["personalisation"]["body"]
    assert "10:30" in sent["personalisation"]["body"]
    message = PersonMessage.objects.get()
    assert (message.kind, message.session_on, message.state) == ("reminder", tomorrow, "sent")


def test_no_reminder_without_a_session_tomorrow_or_without_notify(
    settings, referred, glenys_by_text, notify
):
    referred.status = ConnectionStatus.ACCEPTED
    referred.save()
    today = timezone.localdate()
    ScheduleFactory(service=referred.service, weekday=today.isoweekday(),
                    opens_at="10:30", closes_at="12:00")  # fmt: skip
    assert services.session_reminders_send(today=today) == 0
    settings.NOTIFY_API_KEY = ""
    assert services.session_reminders_send(today=today - timedelta(days=1)) == 0
    assert not PersonMessage.objects.exists()
