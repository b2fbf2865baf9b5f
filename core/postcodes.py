"""UK postcodes: their shape, and the one way every app normalises them.

Where a postcode *is* (ONS data, LSOA, deprivation) is the directory's
business (directory.postcodes.lookup); this module knows only whether a
string is a UK postcode and how to write it ('cf10 1aa' -> 'CF10 1AA').
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The UK postcode shape: outward code (area letters, district) then inward
# code (sector digit, unit letters). Letters the Royal Mail never uses in a
# position are left out, so typos such as "CF1O 1AA" are caught; the special
# case GIR 0AA (Girobank) is the one postcode outside the pattern. The partner
# API's schema pattern (referrals.api.fields) says the same; a test checks it.
POSTCODE_RE = re.compile(
    r"^(?:GIR0AA|"
    r"(?P<outward>[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?))"
    r"(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2}))$"
)


class PostcodeError(ValueError):
    """A postcode we cannot use; the message says why, in words a person understands."""


class InvalidPostcode(PostcodeError):
    """Not the shape of a UK postcode."""


def normalise_postcode(raw: str) -> str:
    """'cf101ep' -> 'CF10 1EP'; raises InvalidPostcode for anything that is not a UK postcode."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    if not POSTCODE_RE.match(compact):
        raise InvalidPostcode(_("“%(postcode)s” is not a UK postcode.") % {"postcode": raw})
    return f"{compact[:-3]} {compact[-3:]}"


def clean_postcode(value: str) -> str:
    """normalise_postcode for forms, models and services (a Django ValidationError)."""
    try:
        return normalise_postcode(value)
    except InvalidPostcode:
        raise ValidationError(
            _("Enter a UK postcode, such as CF10 1AA."), code="invalid_postcode"
        ) from None


def validate_postcode(value: str) -> None:
    """A model and form field validator."""
    clean_postcode(value)
