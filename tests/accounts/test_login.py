from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent, Role
from tests.conftest import PASSWORD
from tests.factories import OrganisationFactory, UserFactory
from tests.outage import closed_port

pytestmark = pytest.mark.django_db

HOME_HEADINGS = {
    Role.REFERRER: "Your referrals",
    Role.LINK_WORKER: "Your caseload",
    Role.COORDINATOR: "Triage queue",
    Role.PROVIDER: "Your services",
    Role.COMMISSIONER: "Statistics for your area",
    Role.ADMIN: "Administration",
    Role.PEER_NAVIGATOR: "Your cases",
    Role.DPO: "Data protection",
}


def test_it_serves_the_login_page(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_home_page(client, role):
    user = UserFactory(role=role)
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert f"<h1>{HOME_HEADINGS[role]}</h1>" in response.content.decode()
    assert user.get_role_display() in response.content.decode()


def test_the_home_page_names_the_users_organisation(client, gp_receptionist):
    client.force_login(gp_receptionist)
    response = client.get("/")
    assert "Referrals made by Afon Surgery (W90001)" in response.content.decode()


def test_a_user_without_a_role_is_told_to_ask_for_one(client):
    client.force_login(UserFactory(role=""))
    assert "Your account has no role yet" in client.get("/").content.decode()


def test_anonymous_visitors_see_the_public_front_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Sign in" in response.content
    assert b"Signed in as" not in response.content


def test_it_audits_a_login(client, gp_receptionist):
    client.post("/accounts/login/", {"username": "rhian", "password": PASSWORD})
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert event.actor == gp_receptionist
    assert event.ip_address == "127.0.0.1"


def test_it_refuses_a_wrong_password_and_audits_it(client, gp_receptionist):
    response = client.post("/accounts/login/", {"username": "rhian", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Please enter a correct username and password" in response.content.decode()
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.LOGIN_FAILED
    assert event.actor is None
    assert event.detail == "username=rhian"


def test_it_logs_out_on_post_only(client, gp_receptionist):
    client.force_login(gp_receptionist)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).count() == 1


def test_the_session_times_out_after_inactivity(client, gp_receptionist, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    client.force_login(gp_receptionist)
    session = client.session
    session.set_expiry(-1)  # the inactivity window has passed
    session.save()
    response = client.get("/")
    assert b"Signed in as" not in response.content


def test_it_changes_a_password(client, gp_receptionist):
    client.force_login(gp_receptionist)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase 42",
            "new_password2": "a much longer passphrase 42",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_change_done")
    gp_receptionist.refresh_from_db()
    assert gp_receptionist.check_password("a much longer passphrase 42")


def test_it_refuses_a_short_new_password_and_names_the_field(client, gp_receptionist):
    client.force_login(gp_receptionist)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    gp_receptionist.refresh_from_db()
    assert gp_receptionist.check_password(PASSWORD)


def test_it_emails_a_password_reset_link(
    client, gp_receptionist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": "rhian@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your social prescribing password"
    assert "/accounts/password/reset/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Choose a new password" in html


def test_a_reset_link_sets_a_new_password(
    client, gp_receptionist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "rhian@example.org"})
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line
    ).strip()
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url,
        {"new_password1": "a brand new passphrase 7", "new_password2": "a brand new passphrase 7"},
    )
    assert response.status_code == 302
    gp_receptionist.refresh_from_db()
    assert gp_receptionist.check_password("a brand new passphrase 7")


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    OrganisationFactory()
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_mail_server_outage_delays_the_reset_email_and_the_page_still_answers(
    client, gp_receptionist, settings, django_capture_on_commit_callbacks
):
    """The email waits in the outbox (sent by the sweep later); the person sees the usual page."""
    from core.models import OutboxEmail
    from core.outbox import outbox_resend_unsent

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": "rhian@example.org"})
    assert response.status_code == 302
    email = OutboxEmail.objects.get(to="rhian@example.org")
    assert email.sent_at is None and email.attempts == 1
    assert email.subject == "Reset your social prescribing password"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxEmail.objects.filter(pk=email.pk).update(created_at=email.created_at - timedelta(hours=1))
    assert outbox_resend_unsent() == 1
    assert "/accounts/password/reset/" in mail.outbox[0].body
