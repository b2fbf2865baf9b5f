"""The client's address: the one place that decides which address a request came from.

Audit rows, rate limits and sign-in lockouts all key on it, so it must not be
forgeable and must never fail: it returns a valid IP address as text, or None.

Behind proxies (TRUSTED_PROXY_COUNT = n > 0) each trusted proxy appends the
address it received the request from to X-Forwarded-For, and the innermost
one is REMOTE_ADDR. Anything left of the last n entries was written by the
client and proves nothing, so the client is the entry the outermost trusted
proxy appended: the n-th from the right. With no trusted proxies (the
default) the headers are ignored and REMOTE_ADDR is the client.

django-ipware parses and validates the header (ports, IPv6 brackets,
IPv4-mapped IPv6, junk entries). Its `proxy_count` counts proxies *listed in*
the header, as if the innermost proxy had also written itself there, which it
does not (it is REMOTE_ADDR); so n trusted proxies are ipware's n - 1. We give
it X-Forwarded-For alone: its default list also reads X-Real-IP, Client-IP and
a dozen CDN headers that any client can send, and it prefers a public address
from a later header over a private one from an earlier header.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address as text, or None when there is no valid one.

    Worked out once per request (the audit trail, the rate limits, the lockout and the
    log all ask), and again only if the headers it came from change.
    """
    if request is None:
        return None
    trusted_proxies = settings.TRUSTED_PROXY_COUNT
    source = (
        request.META.get("REMOTE_ADDR"),
        request.META.get(FORWARDED_HEADER) if trusted_proxies > 0 else None,
        trusted_proxies,
    )
    known: tuple[tuple[object, ...], str | None] | None = getattr(request, "_client_address", None)
    if known is not None and known[0] == source:
        return known[1]
    address = _client_address(request, trusted_proxies)
    request._client_address = (source, address)  # type: ignore[attr-defined]
    return address


def _client_address(request: HttpRequest, trusted_proxies: int) -> str | None:
    address = None
    if trusted_proxies > 0:
        address, _routable = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=trusted_proxies - 1,
            request_header_order=[FORWARDED_HEADER],
            # Not strict: a client may put anything left of the trusted entries
            # (strict would then reject the header and fall back to the proxy's
            # own address, lumping every such client together).
            strict=False,
        )
    if address is None:
        # No trusted proxy, or a request that did not come through them all
        # (too few entries): the peer that connected is all we know.
        address = _peer_address(request)
    if address is None:
        return None
    # An IPv6 zone ("fe80::1%eth0") means nothing off the host, and PostgreSQL's
    # inet type refuses it.
    return address.split("%", 1)[0]


def _peer_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, checked: what the server saw connect."""
    peer = request.META.get("REMOTE_ADDR")
    try:
        parsed = ipaddress.ip_address(peer) if isinstance(peer, str) else None
    except ValueError:
        parsed = None
    if parsed is not None and (parsed.version == 4 or parsed.ipv4_mapped is None):
        # The usual peer, as the server wrote it: no need for ipware's parsing.
        return peer
    # IPv4-mapped IPv6, a port, brackets, or no address at all: ipware sorts it out.
    address, _routable = get_client_ip(request, request_header_order=["REMOTE_ADDR"])
    return address


def client_address_key(group: str, request: HttpRequest) -> str:
    """A django-ratelimit key: the client address, IPv6 by its /64 (one subscriber's block)."""
    address = client_address(request)
    if address is None:
        return "unknown"
    if ":" in address:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return address
