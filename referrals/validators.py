"""Field validators for a person's identifiers, shared by models, forms and services."""

import re

import nhs_number
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The UK postcode shape: outward code (area letters, district) then inward
# code (sector digit, unit letters). Letters the Royal Mail never uses in a
# position are left out, so typos such as "CF1O 1AA" are caught; the special
# case GIR 0AA (Girobank) is the one postcode outside the pattern.
POSTCODE_RE = re.compile(
    r"^(?:GIR0AA|"
    r"(?P<outward>[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?))"
    r"(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2}))$"
)


def normalise_postcode(value: str) -> str:
    """'cf10 1aa' -> 'CF10 1AA'. Raises ValidationError when it is not a UK postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not POSTCODE_RE.match(compact):
        raise ValidationError(_("Enter a UK postcode, such as CF10 1AA."), code="invalid_postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value: str) -> None:
    normalise_postcode(value)


def normalise_nhs_number(value: str) -> str:
    """'943 476 5919' -> '9434765919'. Raises ValidationError unless the check digit is right."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not (len(digits) == 10 and digits.isdigit() and nhs_number.is_valid(digits)):
        raise ValidationError(
            _("Enter a valid 10-digit NHS number, such as 943 476 5919."),
            code="invalid_nhs_number",
        )
    return digits


def validate_nhs_number(value: str) -> None:
    normalise_nhs_number(value)


def validate_not_in_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("The date of birth cannot be in the future."), code="future")
