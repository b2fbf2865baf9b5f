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
from accounts.services import api_client_touch, token_hash, token_prefix


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
        client = self._client_for(token.strip())
        api_client_touch(client=client)
        return AnonymousUser(), client

    def _client_for(self, token: str) -> ApiClient:
        prefix = token_prefix(token)
        client = (
            ApiClient.objects.select_related("organisation").filter(token_prefix=prefix).first()
            if prefix
            else None
        )
        # Compared in constant time so response timing says nothing about the hash.
        if client is None or not hmac.compare_digest(client.token_hash, token_hash(token)):
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        if not client.is_active:
            raise exceptions.AuthenticationFailed(_("The token has been revoked."))
        return client

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
