"""Eve forges X-Forwarded-For on the pages that record where a request came from.

Before issue 11 the first entry was trusted: any text reached AuditEvent.ip_address (an
inet column on PostgreSQL, so `not-an-ip` was a 500) and any address could be claimed.
"""

import pytest

from accounts.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HOSTILE = ["not-an-ip", "", "x" * 20_000, "2001:db8::1", "unknown", ",,,", "fe80::1%eth0"]
EVE = "198.51.100.66"


@pytest.mark.parametrize("forwarded", HOSTILE)
@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_sign_in_with_a_hostile_header_is_no_error(
    client, gp_receptionist, settings, forwarded, trusted_proxies
):
    settings.TRUSTED_PROXY_COUNT = trusted_proxies
    wrong = client.post(
        "/accounts/login/",
        {"username": "rhian", "password": "nope"},
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert wrong.status_code == 200
    right = client.post(
        "/accounts/login/",
        {"username": "rhian", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert right.status_code == 302
    addresses = set(AuditEvent.objects.values_list("ip_address", flat=True))
    expected = "2001:db8::1" if trusted_proxies and forwarded == "2001:db8::1" else "127.0.0.1"
    if trusted_proxies and forwarded == "fe80::1%eth0":
        expected = "fe80::1"
    assert addresses == {expected}


@pytest.mark.parametrize("forwarded", HOSTILE)
@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_the_referral_page_with_a_hostile_header_is_no_error(
    client, coordinator, referral, settings, forwarded, trusted_proxies
):
    settings.TRUSTED_PROXY_COUNT = trusted_proxies
    client.force_login(coordinator)
    response = client.get(f"/referrals/{referral.uuid}/", HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()


def test_with_no_trusted_proxy_the_audit_shows_the_real_peer(client, coordinator, referral):
    client.force_login(coordinator)
    client.get(f"/referrals/{referral.uuid}/", HTTP_X_FORWARDED_FOR="203.0.113.9")
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.ip_address == "127.0.0.1"


def test_behind_nginx_the_audit_shows_what_nginx_saw_not_what_eve_claimed(
    client, coordinator, referral, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(coordinator)
    client.get(
        f"/referrals/{referral.uuid}/",
        HTTP_X_FORWARDED_FOR=f"203.0.113.9, {EVE}",
        REMOTE_ADDR="10.0.0.2",
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.ip_address == EVE
