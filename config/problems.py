"""Every API error as an RFC 7807 problem (`application/problem+json`), made in this one place.

Set as REST_FRAMEWORK["EXCEPTION_HANDLER"]. It turns DRF's exceptions, Django's
404 and the referrals `ApplicationError` family into the same shape:

    {"type": ..., "title": ..., "status": 400, "detail": ..., "instance": "/api/v1/referrals/",
     "invalid_params": [{"name": "person.postcode", "reason": ...}]}

`invalid_params` names each field (dotted for nested ones) or query parameter
at fault. A view may map the names a service uses to its own field paths with
a `problem_field_name(name)` method.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.response import Response

from accounts.api.parsers import RequestBodyTooLarge, too_large_message
from referrals.exceptions import (
    ApplicationError,
    IdempotencyConflict,
    InvalidTransition,
    NoSchemeForArea,
    StaleVersion,
)

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
}
# The most specific class wins (checked in this order).
APPLICATION_ERROR_STATUS = (
    (IdempotencyConflict, 409),
    (StaleVersion, 409),
    (InvalidTransition, 409),
    (NoSchemeForArea, 422),
    (ApplicationError, 400),
)


def problem_response(*, status_code: int, detail, request=None, invalid_params=None, title=None):
    body = {
        "type": TYPES.get(status_code, "about:blank"),
        "title": str(title or TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": str(detail),
    }
    if request is not None:
        body["instance"] = request.get_full_path()
    if invalid_params:
        body["invalid_params"] = invalid_params
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def flatten_errors(detail, name="") -> list[dict]:
    """DRF's nested error detail as a flat list of {"name": "person.postcode", "reason": ...}."""
    if isinstance(detail, dict):
        params = []
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                child = name
            elif isinstance(key, int):
                child = f"{name}[{key}]"
            else:
                child = f"{name}.{key}" if name else str(key)
            params += flatten_errors(value, child)
        return params
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        params = []
        for index, item in enumerate(detail):
            if item:
                params += flatten_errors(item, f"{name}[{index}]")
        return params
    reasons = detail if isinstance(detail, list) else [detail]
    return [{"name": name or "body", "reason": " ".join(str(reason) for reason in reasons)}]


def _summary(invalid_params) -> str:
    return "; ".join(f"{param['name']}: {param['reason']}" for param in invalid_params)


def _application_problem(exc: ApplicationError, context):
    status_code = next(code for cls, code in APPLICATION_ERROR_STATUS if isinstance(exc, cls))
    field_errors = getattr(exc, "field_errors", None)
    if not field_errors:
        return problem_response(
            status_code=status_code, detail=exc.message, request=context.get("request")
        )
    rename = getattr(context.get("view"), "problem_field_name", lambda name: name)
    invalid = flatten_errors(
        {
            ("__all__" if name == "__all__" else rename(name)): messages
            for name, messages in field_errors.items()
        }
    )
    return problem_response(
        status_code=status_code,
        detail=_summary(invalid),
        request=context.get("request"),
        invalid_params=invalid,
    )


def problem_exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("There is nothing here, or nothing this client may see."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # DRF checks Content-Length against DATA_UPLOAD_MAX_MEMORY_SIZE before any parser runs.
        exc = RequestBodyTooLarge(too_large_message())
    if isinstance(exc, ApplicationError):
        return _application_problem(exc, context)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling takes over
    if isinstance(exc, exceptions.ValidationError):
        invalid = flatten_errors(exc.detail)
        response = problem_response(
            status_code=exc.status_code,
            detail=_summary(invalid),
            request=request,
            invalid_params=invalid,
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
            % {"seconds": exc.wait or 1},
            request=request,
        )
    else:
        # An exception may name the query parameter at fault (a page past the last names `page`).
        parameter = getattr(exc, "parameter", None)
        response = problem_response(
            status_code=exc.status_code,
            detail=exc.detail,
            request=request,
            invalid_params=[{"name": parameter, "reason": str(exc.detail)}] if parameter else None,
        )
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        response["Retry-After"] = str(max(1, int(exc.wait)))
    if isinstance(exc, exceptions.MethodNotAllowed) and context.get("view") is not None:
        response["Allow"] = ", ".join(context["view"].allowed_methods)
    return response
