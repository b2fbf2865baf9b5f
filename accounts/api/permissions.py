"""Scope checks for partner systems: each view names the scope each method needs."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

from accounts.models import ApiClient


class HasApiScope(permissions.BasePermission):
    """The request comes from an active API client holding the scope `view.required_scopes` names.

    `required_scopes` maps an HTTP method to a scope; a method it leaves out
    needs no scope beyond a valid token (the view answers 405 for it).
    """

    def has_permission(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            raise exceptions.NotAuthenticated(_("Send an API client's token as a Bearer token."))
        # HEAD reads as much as GET (and is audited like it): it needs the same scope.
        method = "GET" if request.method == "HEAD" else request.method
        scope = view.required_scopes.get(method)
        if scope and not client.has_scope(scope):
            raise exceptions.PermissionDenied(
                _("This API client does not have the %(scope)s scope.") % {"scope": scope}
            )
        return True
