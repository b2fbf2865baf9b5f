"""A partner's request with a hostile X-Forwarded-For: answered, and audited with a real address."""

import pytest

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

HOSTILE = ["not-an-ip", "", "x" * 20_000, "2001:db8::1", "unknown", ",,,", "fe80::1%eth0"]


@pytest.mark.parametrize("forwarded", HOSTILE)
@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_the_api_with_a_hostile_header_is_no_error(
    afon_emis, referral, referral_body, settings, forwarded, trusted_proxies
):
    settings.TRUSTED_PROXY_COUNT = trusted_proxies
    created = afon_emis.post("/api/v1/referrals/", referral_body, HTTP_X_FORWARDED_FOR=forwarded)
    assert created.status_code == 201
    detail = afon_emis.get(f"/api/v1/referrals/{referral.uuid}/", HTTP_X_FORWARDED_FOR=forwarded)
    assert detail.status_code == 200
    listing = afon_emis.get("/api/v1/referrals/", HTTP_X_FORWARDED_FOR=forwarded)
    assert listing.status_code == 200
    events = AuditEvent.objects.filter(api_client=afon_emis.api_client)
    addresses = set(events.values_list("ip_address", flat=True))
    real = "127.0.0.1"
    if trusted_proxies and forwarded in {"2001:db8::1", "fe80::1%eth0"}:
        real = forwarded.split("%")[0]
    assert addresses == {real}
