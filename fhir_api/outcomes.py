"""Every FHIR answer is `application/fhir+json`, and every error an `OperationOutcome`.

The problems themselves are made where the partner API makes them
(core.problems: the same statuses, messages and field names); this module
only re-dresses each problem as an OperationOutcome with one issue per field
at fault, its `expression` the FHIR path.
"""

from typing import Any

from django.http import JsonResponse
from django.utils.html import escape
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.api.parsers import SafeJSONParser
from core.problems import problem_body, problem_exception_handler

from .codes import FHIR_JSON

# The R4 issue-type code for each status the facade answers with.
ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    412: "multiple-matches",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    500: "exception",
    503: "transient",
}


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"


class FhirJSONParser(SafeJSONParser):
    media_type = FHIR_JSON


class FhirOnly(BaseContentNegotiation):
    """JSON in (FHIR's media type or plain JSON), FHIR JSON out, whatever Accept says."""

    def select_parser(self, request, parsers):
        content_type = request.content_type.split(";")[0].strip().lower()
        return next((p for p in parsers if p.media_type == content_type), None)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def operation_outcome(status_code: int, problem: dict[str, Any]) -> dict[str, Any]:
    code = ISSUE_CODE.get(status_code, "processing")
    invalid = problem.get("invalid_params") or []
    issues = [
        {
            "severity": "error",
            "code": code,
            "diagnostics": param["reason"],
            "expression": [param["name"]],
        }
        for param in invalid
    ] or [{"severity": "error", "code": code, "diagnostics": problem["detail"]}]
    return {
        "resourceType": "OperationOutcome",
        "text": {"status": "generated", "div": _div(problem["title"])},
        "issue": issues,
    }


def _div(text: str) -> str:
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{escape(text)}</div>'


def fhir_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = problem_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handling takes over
    response.data = operation_outcome(response.status_code, response.data)
    response.content_type = FHIR_JSON
    return response


def outcome_django_response(*, status_code: int, detail: Any, request=None) -> JsonResponse:
    """The same OperationOutcome outside DRF (the database out of reach)."""
    body = operation_outcome(
        status_code, problem_body(status_code=status_code, detail=detail, request=request)
    )
    return JsonResponse(body, status=status_code, content_type=FHIR_JSON)
