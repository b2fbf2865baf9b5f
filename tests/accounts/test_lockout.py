"""Eve guesses passwords; Rhian (GP front desk) gets locked out and Aled, an administrator,
unlocks her. Password reset requests are throttled the same for every email address."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import caches
from django.urls import reverse

from accounts.models import AuditEvent, Role
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED = "Signing in is locked for now"


@pytest.fixture(autouse=True)
def empty_rate_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def aled(db):
    """Aled administers the service."""
    return UserFactory(username="aled", role=Role.ADMIN, is_staff=True, is_superuser=True)


def _sign_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _fail(client, username, times, **extra):
    return [_sign_in(client, username, "guess", **extra).status_code for _n in range(times)]


ACCOUNTS = [f"guess{n}" for n in range(20)]


def test_the_limit_is_five_failures_and_thirty_minutes_by_default(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 20
    assert timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


def test_five_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(
    client, gp_receptionist
):
    assert _fail(client, "rhian", 5) == [200, 200, 200, 200, 429]
    response = _sign_in(client, "rhian", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html
    assert "locked for 30 minutes" in html
    assert "_auth_user_id" not in client.session


def test_the_account_stays_locked_from_another_address(client, gp_receptionist):
    _fail(client, "rhian", 5)
    response = _sign_in(client, "rhian", PASSWORD, REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_for_many_accounts_from_one_address_lock_the_address(client, gp_receptionist):
    """Eve tries one password against twenty accounts: her address is locked, Rhian's is not."""
    answers = [_sign_in(client, name, "Summer2026!").status_code for name in ACCOUNTS]
    assert answers == [200] * 19 + [429]
    assert _sign_in(client, "rhian", PASSWORD).status_code == 429
    lockout = AuditEvent.objects.get(action=AuditEvent.Action.LOCKED_OUT)
    assert (lockout.detail, lockout.ip_address) == ("username=guess19", "127.0.0.1")
    elsewhere = _sign_in(client, "rhian", PASSWORD, REMOTE_ADDR="192.0.2.44")
    assert elsewhere.status_code == 302


def test_colleagues_sharing_an_address_are_not_locked_out_by_a_few_typos(client, gp_receptionist):
    """Four people at Afon Surgery mistype their passwords three times each, from one address."""
    for name in ["alys", "bethan", "cai", "dewi"]:
        _fail(client, name, 3)
    assert _sign_in(client, "rhian", PASSWORD).status_code == 302


def test_a_forged_forwarded_header_does_not_escape_an_address_lockout(client, gp_receptionist):
    for n, name in enumerate(ACCOUNTS):
        _sign_in(client, name, "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = _sign_in(client, "rhian", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert response.status_code == 429


def test_the_admin_sign_in_is_locked_too(client, aled):
    for _n in range(5):
        client.post("/admin/login/", {"username": "aled", "password": "guess"})
    response = client.post("/admin/login/", {"username": "aled", "password": PASSWORD})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_the_lock_lifts_after_the_cool_off(client, gp_receptionist):
    _fail(client, "rhian", 5)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=31)
    )
    assert _sign_in(client, "rhian", PASSWORD).status_code == 302


def test_the_lockout_is_audited_once_and_each_failure_too(client, gp_receptionist):
    _fail(client, "rhian", 7)
    lockout = AuditEvent.objects.get(action=AuditEvent.Action.LOCKED_OUT)
    assert lockout.object_id == str(gp_receptionist.uuid)
    assert lockout.detail == "username=rhian"
    assert lockout.ip_address == "127.0.0.1"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() == 7


def test_an_administrator_unlocks_a_user_from_the_user_list(client, gp_receptionist, aled):
    _fail(client, "rhian", 5)
    client.force_login(aled)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [gp_receptionist.pk]},
        follow=True,
    )
    assert "1 user unlocked" in response.content.decode()
    unlock = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCKED)
    assert (unlock.actor, unlock.object_id) == (aled, str(gp_receptionist.uuid))
    assert unlock.detail == "username=rhian address= attempts removed=1"
    client.logout()
    assert _sign_in(client, "rhian", PASSWORD).status_code == 302


def test_an_administrator_unlocks_an_address_from_the_failed_attempts(
    client, gp_receptionist, aled
):
    for name in ACCOUNTS:
        _sign_in(client, name, "guess", REMOTE_ADDR="198.51.100.66")
    client.force_login(aled)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert client.get(changelist).status_code == 200
    attempt = AccessAttempt.objects.get(username="guess19")
    client.post(changelist, {"action": "unlock", "_selected_action": [attempt.pk]})
    assert not AccessAttempt.objects.exists()
    unlock = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCKED)
    assert unlock.actor == aled
    assert unlock.detail == "username=guess19 address=198.51.100.66 attempts removed=20"
    client.logout()
    assert _sign_in(client, "rhian", PASSWORD, REMOTE_ADDR="198.51.100.66").status_code == 302


def test_failed_attempts_cannot_be_edited_or_deleted_in_the_admin(client, aled):
    _fail(client, "rhian", 1)
    client.force_login(aled)
    attempt = AccessAttempt.objects.get()
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.exists()


# --- Password reset requests ---


def _reset(client, email, **extra):
    return client.post("/accounts/password/reset/", {"email": email}, **extra)


@pytest.mark.parametrize("email", ["rhian@example.org", "nobody@example.org"])
def test_reset_requests_for_one_email_are_throttled_whoever_has_it(
    client, gp_receptionist, email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answers = [_reset(client, email, REMOTE_ADDR=f"192.0.2.{n}").status_code for n in range(4)]
    assert answers == [302, 302, 302, 429]
    assert "Please try again later" in _reset(client, email.upper()).content.decode()
    assert len(mail.outbox) == (3 if email.startswith("rhian") else 0)


def test_reset_requests_from_one_address_are_throttled(client, gp_receptionist):
    answers = [_reset(client, f"person{n}@example.org").status_code for n in range(11)]
    assert answers == [302] * 10 + [429]
    assert _reset(client, "rhian@example.org").status_code == 429
    assert mail.outbox == []
