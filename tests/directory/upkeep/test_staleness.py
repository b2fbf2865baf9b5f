import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from accounts.models import AuditEvent
from core.models import OutboxEmail
from core.outbox import about
from core.tasks import resend_unsent_emails
from directory.models import STALE_AFTER, Service
from directory.services import services_flag_stale
from directory.tasks import email_service_stale, flag_stale_services
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
A_YEAR_AND_A_DAY_AGO = lambda: TODAY() - STALE_AFTER - timedelta(days=1)  # noqa: E731


def confirm_url(service):
    return f"/directory/manage/services/{service.uuid}/confirm/"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """The job's transaction commits: its outbox emails are sent (core.outbox)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def stale_garden(garden):
    garden.last_reviewed_on = A_YEAR_AND_A_DAY_AGO()
    garden.save()
    return garden


def test_a_listing_goes_stale_a_year_after_its_last_review():
    assert not Service(last_reviewed_on=TODAY() - STALE_AFTER).is_stale
    assert Service(last_reviewed_on=A_YEAR_AND_A_DAY_AGO()).is_stale
    assert Service(last_reviewed_on=None).is_stale


def test_the_job_runs_daily_on_celery_beat():
    [entry] = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == flag_stale_services.name
    ]
    schedule = entry["schedule"]  # once a day, every day, early in the morning
    assert (len(schedule.hour), len(schedule.minute)) == (1, 1)
    assert len(schedule.day_of_week) == 7
    assert len(schedule.day_of_month) == 31


def test_the_job_flags_stale_listings_and_emails_their_provider(stale_garden, provider, committed):
    colleague = UserFactory(role="provider", organisation=provider.organisation)
    UserFactory(role="provider", organisation=provider.organisation, is_active=False)
    UserFactory(role="link_worker", organisation=provider.organisation)
    with committed():
        assert flag_stale_services.delay().get() == 1
    stale_garden.refresh_from_db()
    assert stale_garden.stale_notified_on == TODAY()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([provider.email, colleague.email])
    event = AuditEvent.objects.get(object_id=str(stale_garden.uuid))
    assert (event.actor, event.action, event.detail) == (None, "change", "flagged as stale")


def test_running_the_job_twice_sends_one_email_per_service(
    stale_garden, provider, outsider, committed
):
    never_checked = ServiceFactory(
        provider=ServiceFactory(provider__organisation=outsider.organisation).provider,
        last_reviewed_on=None,
    )
    with committed():
        flag_stale_services()
    with committed():
        flag_stale_services()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([provider.email, outsider.email])
    assert {m.subject for m in mail.outbox} == {
        "Is the listing for Community garden still right?",
        f"Is the listing for {never_checked.name} still right?",
    }


def test_a_row_claimed_by_another_run_is_left_alone(stale_garden, provider):
    Service.objects.filter(pk=stale_garden.pk).update(stale_notified_on=TODAY())
    assert services_flag_stale() == 0
    assert mail.outbox == []


def test_fresh_and_closed_listings_are_left_alone(garden, provider):
    ServiceFactory(
        provider=garden.provider, status="closed", last_reviewed_on=A_YEAR_AND_A_DAY_AGO()
    )
    assert services_flag_stale() == 0
    assert mail.outbox == []


def test_a_flag_is_unclaimed_when_the_mail_cannot_be_queued(stale_garden, provider):
    with (
        mock.patch.object(
            email_service_stale, "apply_async", side_effect=ConnectionError("broker")
        ),
        pytest.raises(ConnectionError),
    ):
        services_flag_stale()
    stale_garden.refresh_from_db()
    assert stale_garden.stale_notified_on is None


def test_the_stale_email_has_subject_text_and_html(stale_garden, provider, committed):
    with committed():
        services_flag_stale()
    [message] = mail.outbox
    assert message.subject == "Is the listing for Community garden still right?"
    date = f"{A_YEAR_AND_A_DAY_AGO():%-d %B %Y}"
    assert f"was last checked on {date}, more than a year ago." in message.body
    assert "http://127.0.0.1:8000/directory/manage/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="http://127.0.0.1:8000/directory/manage/"' in html


def test_the_stale_email_is_in_welsh_for_a_welsh_speaker(stale_garden, provider, committed):
    provider.preferred_language = "cy"
    provider.save()
    with committed():
        services_flag_stale()
    [message] = mail.outbox
    assert message.subject == "Ydy'r rhestriad ar gyfer Gardd gymunedol yn dal yn gywir?"
    assert "/cy/directory/manage/" in message.body


def test_no_stale_email_once_the_listing_is_confirmed(stale_garden, provider):
    stale_garden.last_reviewed_on = TODAY()
    stale_garden.save()
    assert email_service_stale(stale_garden.pk, provider.pk) is False
    assert mail.outbox == []


def test_the_provider_confirms_the_listing_is_up_to_date(client, stale_garden, provider):
    Service.objects.filter(pk=stale_garden.pk).update(stale_notified_on=TODAY())
    client.force_login(provider)
    response = client.post(confirm_url(stale_garden), follow=True)
    assert response.redirect_chain == [("/directory/manage/", 302)]
    assert "Community garden is marked as checked today." in response.content.decode()
    stale_garden.refresh_from_db()
    assert stale_garden.last_reviewed_on == TODAY()
    assert stale_garden.reviewed_by == provider
    assert stale_garden.stale_notified_on is None
    assert not stale_garden.is_stale
    event = AuditEvent.objects.get(actor=provider)
    assert event.detail == "listing confirmed up to date by its provider"


def test_a_confirmed_listing_is_told_again_when_it_next_goes_stale(
    client, stale_garden, provider, committed
):
    with committed():
        services_flag_stale()
    client.force_login(provider)
    client.post(confirm_url(stale_garden))
    with committed():
        services_flag_stale()
    assert len(mail.outbox) == 1
    next_year = TODAY() + STALE_AFTER + timedelta(days=1)
    with mock.patch("django.utils.timezone.localdate", return_value=next_year), committed():
        services_flag_stale(today=next_year)
    assert len(mail.outbox) == 2


def test_confirming_rejects_get(client, stale_garden, provider):
    client.force_login(provider)
    assert client.get(confirm_url(stale_garden)).status_code == 405
    stale_garden.refresh_from_db()
    assert stale_garden.is_stale


@pytest.mark.parametrize("who", ["outsider", "link_worker", "editor", "commissioner"])
def test_only_the_providers_staff_confirm(client, request, stale_garden, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(confirm_url(stale_garden)).status_code == 404
    stale_garden.refresh_from_db()
    assert stale_garden.is_stale
    assert not AuditEvent.objects.exists()


def test_the_manage_page_marks_stale_listings(client, stale_garden, provider):
    client.force_login(provider)
    page = client.get("/directory/manage/").content.decode()
    assert "May be out of date" in page
    assert "Confirm this listing is up to date" in page


def test_the_stale_email_goes_through_the_outbox_and_survives_an_smtp_outage(
    stale_garden, provider, django_capture_on_commit_callbacks, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services_flag_stale()
    email = OutboxEmail.objects.get(to=provider.email)
    assert email.about == about(stale_garden) and email.sent_at is None
    assert mail.outbox == []  # nothing before the commit
    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", refuse)
        for callback in callbacks:
            callback()  # the commit: the send task runs, SMTP refuses, the row stays
    email.refresh_from_db()
    assert email.sent_at is None and "SMTPServerDisconnected" in email.last_error
    OutboxEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert resend_unsent_emails.delay().get() == 1  # the sweep, once SMTP is back
    [message] = mail.outbox
    assert message.subject == "Is the listing for Community garden still right?"
