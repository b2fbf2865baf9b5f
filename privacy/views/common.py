"""What the data protection pages share: who may open them, and the downloads' shape."""

from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import User

from ..exports.audit import CSV_CONTENT_TYPE
from ..selectors import audit as selectors


class AuthenticatedHttpRequest(HttpRequest):
    """What a @login_required view is given: a request whose user has signed in."""

    user: User


def dpo_or_404(request: AuthenticatedHttpRequest) -> User:
    """The data protection officer asking; anyone else gets 404, so the pages do not leak."""
    if not selectors.is_data_protection_officer(request.user):
        raise Http404
    return request.user


def csv_response(content: str, *, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
