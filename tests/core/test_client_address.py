"""The client address: trusted only as far as our own proxies vouch for it.

The story: Eve sends her own X-Forwarded-For to pass as someone else. nginx (one trusted
proxy) appends the address it saw; a load balancer in front of it (two trusted proxies)
appends the address it saw before that. REMOTE_ADDR is always the innermost proxy.
"""

import ast
import ipaddress
from pathlib import Path

import pytest
from django.test import RequestFactory

from core.client_address import client_address, client_address_key

EVE = "198.51.100.66"
NGINX = "10.0.0.2"
BALANCER = "10.0.0.1"

# Values Eve may send in the header; none may raise or come back as anything but an address.
HOSTILE = [
    "not-an-ip",
    "",
    " ",
    ",",
    ",,,,",
    "unknown",
    "1.2.3.4" + ", 5.6.7.8" * 5000,
    "x" * 100_000,
    "2001:db8::1",
    "[2001:db8::1]:443",
    "fe80::1%eth0",
    "fe80::1%" + "z" * 300,
    "::ffff:192.0.2.1",
    "999.1.1.1",
    "1.2.3.4:99999",
    "for=192.0.2.60;proto=http",
    "0.0.0.0",
    "\x00",
    "١٢٣.١.١.١",  # Arabic-Indic digits
]


def _request(remote_addr=NGINX, forwarded=None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.fixture
def proxies(settings):
    def trust(count):
        settings.TRUSTED_PROXY_COUNT = count

    return trust


def test_with_no_trusted_proxy_the_header_is_ignored(proxies):
    proxies(0)
    assert client_address(_request(remote_addr=EVE, forwarded="203.0.113.9")) == EVE


def test_with_one_proxy_the_client_is_the_entry_nginx_appended(proxies):
    proxies(1)
    assert client_address(_request(forwarded=EVE)) == EVE


def test_with_one_proxy_a_forged_entry_in_front_is_ignored(proxies):
    proxies(1)
    # Eve sent "203.0.113.9"; nginx appended the address it really saw.
    assert client_address(_request(forwarded=f"203.0.113.9, {EVE}")) == EVE
    assert client_address(_request(forwarded=f"203.0.113.9, 192.0.2.7, {EVE}")) == EVE


def test_with_two_proxies_the_client_is_what_the_outer_one_appended(proxies):
    proxies(2)
    # Eve -> balancer (appends Eve) -> nginx (appends the balancer) -> app.
    assert client_address(_request(forwarded=f"203.0.113.9, {EVE}, {BALANCER}")) == EVE


def test_a_private_client_address_is_kept(proxies):
    """ipware's own default would prefer a public address anywhere in the chain: not here."""
    proxies(1)
    assert client_address(_request(forwarded="203.0.113.9, 192.168.1.20")) == "192.168.1.20"


def test_other_client_headers_are_never_read(proxies):
    proxies(1)
    request = RequestFactory().get(
        "/", REMOTE_ADDR=NGINX, HTTP_X_REAL_IP="203.0.113.9", HTTP_CLIENT_IP="203.0.113.8"
    )
    # No X-Forwarded-For reached us: the peer is all we know.
    assert client_address(request) == NGINX


def test_a_chain_shorter_than_the_proxies_falls_back_to_the_peer(proxies):
    proxies(2)
    assert client_address(_request(forwarded=EVE)) == NGINX


@pytest.mark.parametrize("count", [0, 1, 2])
@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_header_never_raises_and_gives_an_address_or_none(proxies, count, value):
    proxies(count)
    address = client_address(_request(forwarded=value))
    assert address is None or address == address.strip()
    if address is not None:
        assert "%" not in address
        ipaddress.ip_address(address)
    assert client_address_key("group", _request(forwarded=value))


def test_ipv6_keeps_its_address_and_the_zone_is_dropped(proxies):
    proxies(1)
    assert client_address(_request(forwarded="2001:db8::1")) == "2001:db8::1"
    assert client_address(_request(forwarded="[2001:db8::1]:443")) == "2001:db8::1"
    assert client_address(_request(forwarded="fe80::1%eth0")) == "fe80::1"
    assert client_address(_request(forwarded="::ffff:192.0.2.1")) == "192.0.2.1"


def test_an_unusable_peer_address_is_none(proxies):
    proxies(0)
    assert client_address(_request(remote_addr="")) is None
    assert client_address(_request(remote_addr="not-an-ip")) is None
    assert client_address(None) is None


def test_rate_limit_keys_group_an_ipv6_subscriber_by_its_64(proxies):
    proxies(0)
    first = client_address_key("g", _request(remote_addr="2001:db8:1:2::1"))
    second = client_address_key("g", _request(remote_addr="2001:db8:1:2:ffff::9"))
    assert first == second == "2001:db8:1:2::"
    assert client_address_key("g", _request(remote_addr=EVE)) == EVE
    assert client_address_key("g", _request(remote_addr="")) == "unknown"


def test_core_imports_no_app_of_the_project():
    apps = {"accounts", "directory", "referrals", "linkworkers", "reporting", "config", "bench"}
    core = Path(__file__).resolve().parents[2] / "core"
    imported = set()
    for path in core.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert imported & apps == set()
