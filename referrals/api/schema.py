"""How the partner API's OpenAPI document states what the API really accepts and answers.

drf-spectacular describes fields by type; these additions say the rest, so a
client (or schemathesis) that follows the schema is not refused:

- a request string that may not be blank has `minLength: 1` and a pattern
  needing a character other than a space (DRF trims spaces, so "  " is
  blank); no request string may hold a NUL character;
- fields with their own pattern or format (postcode, NHS number) keep it;
- the referral's one rule across fields, that a risk flag needs its
  details, is an `anyOf`;
- every error answer is `application/problem+json` (`problem_responses`).
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from core.problems import PROBLEM_CONTENT_TYPE

from .serializers import ProblemSerializer, ReferralCreateInputSerializer

NO_NUL = "^[^\\u0000]+$"  # with spectacular's `oneOf` for blank-allowed strings: "" or this
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
PROBLEM_DESCRIPTIONS = {
    400: gettext_lazy("The request has errors; `invalid_params` names each field or parameter."),
    401: gettext_lazy("No token, or one that is unknown or revoked."),
    403: gettext_lazy("The client lacks the scope this operation needs."),
    404: gettext_lazy("Not there, or not this client's to see."),
    406: gettext_lazy("The Accept header excludes JSON."),
    409: gettext_lazy("The Idempotency-Key was used for a different body."),
    413: gettext_lazy("The body is larger than the API accepts."),
    415: gettext_lazy("The body is not application/json."),
    422: gettext_lazy("No social prescribing scheme takes referrals for the client's area."),
    429: gettext_lazy("Too many requests; Retry-After says when to try again."),
}


def problem_responses(*codes: int) -> dict:
    """`responses` entries for extend_schema: each status as RFC 7807 problem JSON."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer, description=PROBLEM_DESCRIPTIONS[code]
        )
        for code in codes
    }


class PartnerAutoSchema(AutoSchema):
    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "request" and isinstance(field, serializers.CharField):
            if not isinstance(field, serializers.EmailField):  # its format says enough
                pattern = getattr(field, "schema_pattern", None)
                meta["pattern"] = pattern or (NO_NUL if field.allow_blank else NOT_BLANK)
            if not field.allow_blank:
                meta["minLength"] = 1
        if (
            direction == "request"
            and isinstance(field, serializers.MultipleChoiceField | serializers.ListField)
            and not field.allow_empty
        ):
            meta["minItems"] = 1
        return meta

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if isinstance(serializer, ReferralCreateInputSerializer):
            # The service refuses a risk flag without details (400); say so where JSON Schema can.
            schema["anyOf"] = [
                {"properties": {"risk_flag": {"enum": [False]}}},
                {
                    "required": ["risk_details"],
                    "properties": {"risk_details": {"minLength": 1, "pattern": NOT_BLANK}},
                },
            ]
        return schema
