"""Partner systems sign API requests with `Authorization: Bearer <token>` (DESIGN.md, ApiClient).

A request carrying a token that is unknown, malformed or revoked is refused
with 401 whatever it asks for; scopes are checked afterwards (403), then the
client's own rate limit (429).
"""

import hmac

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import ApiClient
from accounts.services import (
    api_client_cached,
    api_client_forget,
    api_client_remember,
    api_client_touch,
    token_hash,
    token_prefix,
)


class ApiClientAuthentication(authentication.BaseAuthentication):
    """`request.auth` is the ApiClient; `request.user` stays anonymous: no person is signed in."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _space, token = header.partition(" ")
        if keyword.lower() != self.keyword.lower() or not token.strip():
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”.")
            )
        client, from_cache = self._client_for(token.strip())
        last_use = client.last_used_at
        if not api_client_touch(client=client):
            api_client_forget([client])
            raise exceptions.AuthenticationFailed(_("The token has been revoked."))
        if not from_cache or client.last_used_at != last_use:
            api_client_remember(client)
        return AnonymousUser(), client

    def _client_for(self, token: str) -> tuple[ApiClient, bool]:
        """(client, whether it came from the cache); AuthenticationFailed when there is none."""
        prefix = token_prefix(token)
        hashed = token_hash(token)
        client = api_client_cached(hashed) if prefix else None
        from_cache = client is not None
        if client is None and prefix:
            client = (
                ApiClient.objects.select_related("organisation").filter(token_prefix=prefix).first()
            )
        # Compared in constant time so response timing says nothing about the hash.
        if client is None or not hmac.compare_digest(client.token_hash, hashed):
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        if not client.is_active:
            raise exceptions.AuthenticationFailed(_("The token has been revoked."))
        return client, from_cache

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents the scheme in the OpenAPI schema (and the docs' Authorize button)."""

    target_class = ApiClientAuthentication
    name = "BearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(
                _("An API client's token, issued by an administrator and shown once.")
            ),
        }
