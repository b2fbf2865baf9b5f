"""Every API error as an RFC 7807 problem (`application/problem+json`), made in this one place.

Both APIs use it: the partner API (REST_FRAMEWORK["EXCEPTION_HANDLER"]) and
the Open Referral directory API. It turns DRF's exceptions, Django's 404 and
the `core.exceptions.ApplicationError` family into the same shape:

    {"type": ..., "title": ..., "status": 400, "detail": ..., "instance": "/api/v1/referrals/",
     "invalid_params": [{"name": "person.postcode", "reason": ...}]}

`invalid_params` names each field (dotted for nested ones) or query parameter
at fault. A view may adjust the answer with three attributes:

- `problem_field_name(name)`: maps the names a service uses to its own field paths;
- `problem_invalid_title`: the title of a 400 for bad input (a query-only API
  says "Invalid query parameter");
- `problem_invalid_name`: the name given to an error about the input as a
  whole ("body" unless the view says "query").
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from .exceptions import ApplicationError, InvalidTransition, Refused, StaleVersion

PROBLEM_CONTENT_TYPE = "application/problem+json"

# The sections of HTTP Semantics (RFC 9110) and RFC 6585 that define each status:
# RFC 9457 suggests them as the type of a problem that is no more than its status.
TYPES = {
    400: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
    401: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
    403: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
    404: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
    405: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
    406: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.7",
    409: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
    413: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
    415: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
    422: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.21",
    429: "https://www.rfc-editor.org/rfc/rfc6585#section-4",
    500: "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.1",
    503: "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
}
TITLES = {
    400: gettext_lazy("The request has errors"),
    401: gettext_lazy("Authentication needed"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    413: gettext_lazy("Request too large"),
    415: gettext_lazy("Unsupported media type"),
    422: gettext_lazy("Cannot be processed"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Internal server error"),
    503: gettext_lazy("Service unavailable"),
}
# The shared family's statuses; the most specific class wins (checked in this order).
# An app's own error says its status with a `problem_status` class attribute
# (referrals' NoSchemeForArea is 422), since core knows no app.
APPLICATION_ERROR_STATUS = (
    (Refused, 404),
    (StaleVersion, 409),
    (InvalidTransition, 409),
    (ApplicationError, 400),
)


class RequestBodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def too_large_message() -> str:
    return _("The body is larger than %(limit)s bytes.") % {
        "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    }


class InvalidParameter(exceptions.APIException):
    """A query or path parameter we cannot use; names it and says why."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = str(reason)
        super().__init__(f"{name}: {reason}")


class NotFound(exceptions.NotFound):
    """A 404 naming the parameter (the id in the path, by default) that found nothing."""

    def __init__(self, detail: Any, *, parameter: str = "id") -> None:
        self.parameter = parameter
        super().__init__(detail)


def problem_body(
    *,
    status_code: int,
    detail: Any,
    request: Any = None,
    invalid_params: list[dict[str, str]] | None = None,
    title: Any = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPES.get(status_code, "about:blank"),
        "title": str(title or TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": str(detail),
    }
    if request is not None:
        body["instance"] = request.get_full_path()
    if invalid_params:
        body["invalid_params"] = invalid_params
    return body


def problem_response(
    *,
    status_code: int,
    detail: Any,
    request: Any = None,
    invalid_params: list[dict[str, str]] | None = None,
    title: Any = None,
) -> Response:
    body = problem_body(
        status_code=status_code,
        detail=detail,
        request=request,
        invalid_params=invalid_params,
        title=title,
    )
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def problem_django_response(
    *, status_code: int, detail: Any, request: HttpRequest | None = None
) -> JsonResponse:
    """The same problem JSON outside DRF: for answers made before or after an API view runs
    (the database unreachable, an unexpected error), where DRF's renderers are not at hand."""
    body = problem_body(status_code=status_code, detail=detail, request=request)
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def flatten_errors(detail: Any, name: str = "", *, whole: str = "body") -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list of {"name": "person.postcode", "reason": ...}.

    An error about no one field (non_field_errors) is named `whole`.
    """
    if isinstance(detail, dict):
        params = []
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                child = name
            elif isinstance(key, int):
                child = f"{name}[{key}]"
            else:
                child = f"{name}.{key}" if name else str(key)
            params += flatten_errors(value, child, whole=whole)
        return params
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        params = []
        for index, item in enumerate(detail):
            if item:
                params += flatten_errors(item, f"{name}[{index}]", whole=whole)
        return params
    reasons = detail if isinstance(detail, list) else [detail]
    return [{"name": name or whole, "reason": " ".join(str(reason) for reason in reasons)}]


def _summary(invalid_params: list[dict[str, str]]) -> str:
    return "; ".join(f"{param['name']}: {param['reason']}" for param in invalid_params)


def application_error_status(exc: ApplicationError) -> int:
    own = getattr(exc, "problem_status", None)
    if own is not None:
        return int(own)
    return next(code for cls, code in APPLICATION_ERROR_STATUS if isinstance(exc, cls))


def _application_problem(exc: ApplicationError, context: dict[str, Any]) -> Response:
    status_code = application_error_status(exc)
    request = context.get("request")
    if isinstance(exc, Refused):
        # The same answer as for an object that is not there: its existence must not leak.
        return problem_response(status_code=404, detail=_not_found_message(), request=request)
    field_errors = getattr(exc, "field_errors", None)
    if not field_errors:
        return problem_response(status_code=status_code, detail=exc.message, request=request)
    view = context.get("view")
    rename = getattr(view, "problem_field_name", lambda name: name)
    invalid = flatten_errors(
        {
            ("__all__" if name == "__all__" else rename(name)): messages
            for name, messages in field_errors.items()
        },
        whole=getattr(view, "problem_invalid_name", "body"),
    )
    return problem_response(
        status_code=status_code,
        detail=_summary(invalid),
        request=request,
        invalid_params=invalid,
        title=getattr(view, "problem_invalid_title", None) if status_code == 400 else None,
    )


def _not_found_message() -> str:
    return _("There is nothing here, or nothing this client may see.")


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    view = context.get("view")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_not_found_message())
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # DRF checks Content-Length against DATA_UPLOAD_MAX_MEMORY_SIZE before any parser runs.
        exc = RequestBodyTooLarge(too_large_message())
    if isinstance(exc, ApplicationError):
        return _application_problem(exc, context)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling takes over
    invalid_title = getattr(view, "problem_invalid_title", None)
    if isinstance(exc, exceptions.ValidationError):
        invalid = flatten_errors(exc.detail, whole=getattr(view, "problem_invalid_name", "body"))
        response = problem_response(
            status_code=exc.status_code,
            detail=_summary(invalid),
            request=request,
            invalid_params=invalid,
            title=invalid_title,
        )
    elif isinstance(exc, InvalidParameter):
        response = problem_response(
            status_code=exc.status_code,
            detail=exc.detail,
            request=request,
            invalid_params=[{"name": exc.name, "reason": exc.reason}],
            title=invalid_title,
        )
    elif isinstance(exc, exceptions.ParseError | RequestBodyTooLarge):
        response = problem_response(
            status_code=exc.status_code,
            detail=exc.detail,
            request=request,
            invalid_params=[{"name": "body", "reason": str(exc.detail)}],
        )
    elif isinstance(exc, exceptions.Throttled):
        response = problem_response(
            status_code=exc.status_code,
            detail=_("This client has made too many requests. Try again in %(seconds)s seconds.")
            % {"seconds": getattr(exc, "wait", None) or 1},
            request=request,
        )
    else:
        # An exception may name the parameter at fault (a page past the last names `page`,
        # an unknown id names `id`).
        parameter = getattr(exc, "parameter", None)
        response = problem_response(
            status_code=exc.status_code,
            detail=exc.detail,
            request=request,
            invalid_params=[{"name": parameter, "reason": str(exc.detail)}] if parameter else None,
        )
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        response["Retry-After"] = str(max(1, int(wait)))
    if isinstance(exc, exceptions.MethodNotAllowed) and view is not None:
        response["Allow"] = ", ".join(view.allowed_methods)
    return response
