"""Two-factor sign-in. Rhian (GP front desk) sets up an authenticator app and signs in with
it; she uses a recovery code when her phone is at home; Aled, an administrator, resets her
second factor when she loses her phone. Eve has only Rhian's password."""

import re

import pytest
from django.core.cache import caches
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, Role
from tests.accounts.test_settings import run_manage
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/"
SETUP = "/accounts/two-factor/setup/"
RECOVERY = ["abcd2345", "efgh6723"]


def code_from(device, drift=0):
    """What Rhian's authenticator app shows (drift=1: the next 30-second step)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


@pytest.fixture(autouse=True)
def empty_rate_limits():
    caches["ratelimit"].clear()


@pytest.fixture
def required(settings):
    settings.OTP_REQUIRED = True


@pytest.fixture
def aled(db):
    return UserFactory(username="aled", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def rhians_phone(gp_receptionist):
    """Rhian has set up an authenticator app and has two recovery codes left."""
    device = TOTPDevice.objects.create(user=gp_receptionist, name="Authenticator app")
    codes = StaticDevice.objects.create(user=gp_receptionist, name="Recovery codes")
    for token in RECOVERY:
        StaticToken.objects.create(device=codes, token=token)
    return device


def _sign_in(client, username="rhian", next_url=None):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


# --- Required -----------------------------------------------------------------------------


def test_it_is_required_whenever_debug_is_off_and_optional_in_the_demo():
    def otp_required(**env):
        result = run_manage(
            "shell", "-v0", "-c", "from django.conf import settings as s; print(s.OTP_REQUIRED)",
            SECRET_KEY="k9-Vq2xT7mPz4Lr8sWc1Hn6Jd3Fb5Gy0Ae-Ut8Ro2Ki7Me4Nw9Qx1Zv6Cp3Sl5Dh",
            STATISTICS_CELL_KEY_SECRET="Wm3-Hs8Qd1Zr6Tk9Pv2Lx5Nb7Jc4Fy0Ga", **env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert otp_required(DEBUG="0") == "True"
    assert otp_required(DEBUG="1") == "False"
    assert otp_required(DEBUG="1", OTP_REQUIRED="1") == "True"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    "page", ["/", "/referrals/", "/cases/", "/reporting/", "/admin/", "/cy/", "/accounts/security/"]
)
def test_when_required_every_page_waits_for_the_second_factor(client, required, role, page):
    user = UserFactory(role=role, is_staff=role == Role.ADMIN)
    client.force_login(user)
    response = client.get(page)
    assert response.status_code == 302
    assert response.url.split("?")[0] in {VERIFY, "/cy" + VERIFY}


def test_when_required_someone_without_a_second_factor_is_sent_to_set_one_up(
    client, gp_receptionist, required
):
    response = client.post(LOGIN, {"username": "rhian", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(SETUP)
    assert "Set up two-factor sign-in" in response.content.decode()


def test_an_unverified_session_may_still_sign_out_and_switch_language(
    client, gp_receptionist, required
):
    client.force_login(gp_receptionist)
    assert client.post("/i18n/setlang/", {"language": "cy", "next": "/"}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_api_does_not_look_at_the_session(client, gp_receptionist, required):
    client.force_login(gp_receptionist)
    assert client.get("/api/v1/referrals/").status_code == 401


def test_without_the_setting_someone_without_a_second_factor_goes_straight_in(
    client, gp_receptionist
):
    """`make run`: the demo logins sign in with their password alone."""
    response = _sign_in(client)
    assert response.url == reverse("home")
    assert client.get("/").status_code == 200


# --- Enrolment ----------------------------------------------------------------------------


def test_rhian_sets_up_an_authenticator_app(client, gp_receptionist, required):
    _sign_in(client, next_url="/referrals/")
    page = client.get(SETUP + "?next=/referrals/")
    html = page.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    # Nothing inline for the Content-Security-Policy to refuse.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "style=" not in html and "<style" not in html
    device = TOTPDevice.objects.get(user=gp_receptionist, confirmed=False)
    assert device.config_url.startswith("otpauth://totp/Social%20prescribing%3Arhian?")

    response = client.post(SETUP, {"code": code_from(device), "next": "/referrals/"})
    assert response.status_code == 302
    codes_page = client.get(response.url)
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", codes_page.content.decode())
    assert len(codes) == 10
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=gp_receptionist).values_list("token", flat=True)
    )
    assert 'href="/referrals/"' in codes_page.content.decode()
    # Shown once: the page does not show them again.
    assert client.get(response.url).url == reverse("accounts:security")
    assert client.get("/referrals/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    enrolled = AuditEvent.objects.get(action=AuditEvent.Action.TWO_FACTOR_ENROLLED)
    assert enrolled.actor == gp_receptionist


def test_a_wrong_code_at_set_up_is_refused_and_audited(client, gp_receptionist, required):
    _sign_in(client)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "000000"})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_FAILED).count() == 1
    assert client.get("/").status_code == 302


def test_the_secret_stays_the_same_until_it_is_confirmed(client, gp_receptionist, required):
    _sign_in(client)

    def secret():
        html = client.get(SETUP).content.decode()
        return re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1)

    assert secret() == secret()
    assert TOTPDevice.objects.filter(user=gp_receptionist).count() == 1


def test_eve_with_the_password_alone_cannot_set_up_her_own_authenticator(
    client, gp_receptionist, rhians_phone
):
    _sign_in(client)
    response = client.get(SETUP)
    assert response.url.startswith(VERIFY)
    client.post(SETUP, {"code": "123456"})
    assert TOTPDevice.objects.filter(user=gp_receptionist).count() == 1


def test_anyone_may_turn_it_on_in_the_demo_from_their_account_page(client, gp_receptionist):
    client.force_login(gp_receptionist)
    home = client.get("/").content.decode()
    assert 'href="/accounts/"' in home
    assert 'href="/accounts/security/"' in client.get("/accounts/").content.decode()
    page = client.get("/accounts/security/").content.decode()
    assert "Two-factor sign-in is off" in page
    assert f'href="{SETUP}"' in page


# --- Signing in with it -------------------------------------------------------------------


def test_rhian_signs_in_with_a_code_from_her_app(client, gp_receptionist, rhians_phone):
    """Even where it is optional, someone who set it up is asked for it."""
    response = _sign_in(client, next_url="/referrals/")
    assert client.get(response.url).url.startswith(VERIFY)
    assert client.get("/referrals/").url.startswith(VERIFY)
    response = client.post(VERIFY, {"code": code_from(rhians_phone, 1), "next": "/referrals/"})
    assert response.url == "/referrals/"
    assert client.get("/referrals/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_VERIFIED).count() == 1


def test_a_code_works_only_once(client, gp_receptionist, rhians_phone):
    code = code_from(rhians_phone, 1)
    _sign_in(client)
    client.post(VERIFY, {"code": code})
    client.post("/accounts/logout/")
    _sign_in(client)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()


def test_a_wrong_code_is_refused_and_audited(client, gp_receptionist, rhians_phone):
    _sign_in(client)
    response = client.post(VERIFY, {"code": "000000"})
    assert "That code did not work" in response.content.decode()
    assert client.get("/").status_code == 302
    failed = AuditEvent.objects.get(action=AuditEvent.Action.TWO_FACTOR_FAILED)
    assert (failed.actor, failed.ip_address) == (gp_receptionist, "127.0.0.1")


def test_a_recovery_code_works_once(client, gp_receptionist, rhians_phone):
    _sign_in(client)
    response = client.post(VERIFY, {"code": "ABCD 2345"})
    assert response.url == reverse("home")
    used = AuditEvent.objects.get(action=AuditEvent.Action.RECOVERY_CODE_USED)
    assert used.detail == "recovery codes left=1"
    client.post("/accounts/logout/")
    _sign_in(client)
    again = client.post(VERIFY, {"code": "abcd2345"})
    assert again.status_code == 200
    assert client.get("/").status_code == 302
    # A wrong code makes the next try wait (django-otp's throttle); she tries a while later.
    StaticDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    page = client.post(VERIFY, {"code": "efgh6723"})
    assert page.status_code == 302
    assert "You have 0 recovery codes left" in client.get("/accounts/security/").content.decode()


def test_next_never_leaves_the_site(client, gp_receptionist, rhians_phone):
    _sign_in(client)
    response = client.post(
        VERIFY, {"code": code_from(rhians_phone, 1), "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


def test_the_admin_needs_the_second_factor_too(client, aled, required):
    client.post("/admin/login/?next=/admin/", {"username": "aled", "password": PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url == f"{VERIFY}?next=/admin/"


# --- Reset by an administrator ------------------------------------------------------------


def test_aled_resets_rhians_second_factor(client, gp_receptionist, rhians_phone, aled, required):
    rhian = client.__class__()
    _sign_in(rhian)
    rhian.post(VERIFY, {"code": code_from(rhians_phone, 1)})
    assert rhian.get("/").status_code == 200

    client.force_login(aled)
    response = _reset_as_admin(client, aled, gp_receptionist)
    assert "Two-factor sign-in reset for 1 user" in response.content.decode()

    assert not TOTPDevice.objects.filter(user=gp_receptionist).exists()
    assert not StaticDevice.objects.filter(user=gp_receptionist).exists()
    reset = AuditEvent.objects.get(action=AuditEvent.Action.TWO_FACTOR_RESET)
    assert (reset.actor, reset.object_id) == (aled, str(gp_receptionist.uuid))
    assert reset.detail == "devices removed=2"
    # Rhian's session no longer counts as verified: she sets it up again.
    assert rhian.get("/").url.startswith(VERIFY)
    assert rhian.get(VERIFY).url.startswith(SETUP)


def _reset_as_admin(client, aled, user):
    """Aled, verified with his own authenticator, uses the action on the user list."""
    device = TOTPDevice.objects.create(user=aled, name="Authenticator app")
    client.post(VERIFY, {"code": code_from(device, 1)})
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [user.pk]},
        follow=True,
    )


def test_the_device_admins_are_not_registered(client, aled):
    """Secret keys are never shown again, and devices change only through audited actions."""
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)
