"""Errors from the ORUK API as RFC 7807 problem details (`application/problem+json`)."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"
# The HTTP semantics sections that define each status, as RFC 9457 suggests for plain statuses.
_TYPES = {
    400: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
    404: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
    405: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
    406: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.7",
}


class InvalidParameter(exceptions.APIException):
    """A query or path parameter we cannot use; names it and says why."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = str(reason)
        super().__init__(f"{name}: {reason}")


class NotFound(exceptions.NotFound):
    def __init__(self, detail, *, parameter: str = "id"):
        self.parameter = parameter
        super().__init__(detail)


def problem_response(*, status_code: int, title, detail, request=None, **extra) -> Response:
    body = {
        "type": _TYPES.get(status_code, "about:blank"),
        "title": str(title),
        "status": status_code,
        "detail": str(detail),
    }
    if request is not None:
        body["instance"] = request.get_full_path()
    return Response(body | extra, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _invalid_params(detail) -> list[dict]:
    """DRF's {field: [messages]} as RFC 7807's invalid-params list, one entry per field."""
    if not isinstance(detail, dict):
        return [{"name": "query", "reason": " ".join(str(message) for message in detail)}]
    return [
        {
            "name": name,
            "reason": " ".join(str(m) for m in messages)
            if isinstance(messages, list)
            else str(messages),
        }
        for name, messages in detail.items()
    ]


def problem_exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.ValidationError):
        invalid = _invalid_params(exc.detail)
        return problem_response(
            status_code=400,
            title=_("Invalid query parameter"),
            detail="; ".join(f"{item['name']}: {item['reason']}" for item in invalid),
            request=request,
            invalid_params=invalid,
        )
    if isinstance(exc, InvalidParameter):
        return problem_response(
            status_code=400,
            title=_("Invalid query parameter"),
            detail=exc.detail,
            request=request,
            invalid_params=[{"name": exc.name, "reason": exc.reason}],
        )
    if isinstance(exc, NotFound):
        return problem_response(
            status_code=404,
            title=_("Not found"),
            detail=exc.detail,
            request=request,
            invalid_params=[{"name": exc.parameter, "reason": str(exc.detail)}],
        )
    if isinstance(exc, exceptions.APIException):
        response = problem_response(
            status_code=exc.status_code,
            title=exc.default_detail,
            detail=exc.detail,
            request=request,
        )
        if isinstance(exc, exceptions.MethodNotAllowed):
            response["Allow"] = ", ".join(context["view"].allowed_methods)
        return response
    return None
