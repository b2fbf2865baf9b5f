"""Input fields of the partner API that take JSON as the schema describes it, and say so.

DRF's CharField turns 123 into "123" and its BooleanField turns "yes", 1 or
"true" into True: a body the OpenAPI document calls invalid was accepted. These
refuse any JSON type but the documented one. Where a rule cannot be put in
JSON Schema's words (an NHS number's check digit) the field documents a
named `format` and the rule in its description.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

NOT_A_STRING = _("Must be a string.")
NOT_A_BOOLEAN = _("Must be true or false.")


class JsonStringMixin:
    """Only a JSON string, and no longer than max_length as sent: DRF trims surrounding spaces
    before it measures, so "A0 0AA" and five spaces passed a maxLength of 10."""

    # The schema's pattern for this field, or None for the default (see referrals.api.schema).
    schema_pattern: str | None = None

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(NOT_A_STRING, code="invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class TextField(JsonStringMixin, serializers.CharField):
    """A JSON string; surrounding spaces are trimmed, so one of only spaces counts as blank."""


class EmailField(JsonStringMixin, serializers.EmailField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)  # as the models' EmailField
        super().__init__(**kwargs)


class BooleanField(serializers.BooleanField):
    """JSON true or false, nothing that merely looks like one."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError(NOT_A_BOOLEAN, code="invalid")
        return data


class ChoicesField(serializers.MultipleChoiceField):
    """A JSON array of choices; DRF would also take an object's keys."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


@extend_schema_field({"type": "boolean", "enum": [True]})
class ConsentField(BooleanField):
    """Documented as `enum: [true]`: the referral service refuses a referral without consent."""


def _ignoring_spaces_and_case(*parts: str) -> str:
    """POSTCODE_RE's character classes as the API accepts them: any case, spaces anywhere."""
    return r"\s*".join(parts)


# core.postcodes compacts and upper-cases a postcode before matching POSTCODE_RE;
# this says the same in a JSON Schema pattern (ECMA 262 has no inline flags). A test
# checks the two agree.
_AREA = "[A-PR-UWYZa-pr-uwyz]"
_DISTRICT_LETTER = "[A-HK-Ya-hk-y]"
_DIGIT = "[0-9]"
_AFTER_ONE_LETTER = "[0-9A-HJKPSTUWa-hjkpstuw]"
_AFTER_TWO_LETTERS = "[0-9ABEHMNPRVWXYabehmnprvwxy]"
_UNIT = "[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]"
_OUTWARD = (
    f"{_AREA}\\s*(?:{_DIGIT}(?:\\s*{_AFTER_ONE_LETTER})?"
    f"|{_DISTRICT_LETTER}\\s*{_DIGIT}(?:\\s*{_AFTER_TWO_LETTERS})?)"
)
_INWARD = _ignoring_spaces_and_case(_DIGIT, _UNIT, _UNIT)
_GIRO = _ignoring_spaces_and_case("[Gg]", "[Ii]", "[Rr]", "0", "[Aa]", "[Aa]")
POSTCODE_PATTERN = f"^\\s*(?:{_GIRO}|{_OUTWARD}\\s*{_INWARD})\\s*$"


class PostcodeField(TextField):
    schema_pattern = POSTCODE_PATTERN


@extend_schema_field({"type": "string", "format": "nhs-number"})
class NhsNumberField(TextField):
    """Ten digits (spaces or hyphens between them allowed) whose last is the modulus 11 check
    digit of the others: JSON Schema has no words for a check digit, hence the named format."""

    schema_pattern = r"^[\s-]*(?:[0-9][\s-]*){10}$"
