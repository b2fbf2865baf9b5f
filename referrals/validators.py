"""Field validators for a person's identifiers, shared by models, forms and services.

Postcodes are core.postcodes' business (every app normalises them the same way).
"""

import re
import unicodedata

import nhs_number
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ASCII_DIGITS_RE = re.compile(r"[0-9]+")


# What may separate the groups of an NHS number as people type it: any space
# (including no-break and ideographic spaces) and any dash (hyphen, en dash,
# minus sign, full-width hyphen...).
NHS_NUMBER_SEPARATOR_CATEGORIES = frozenset({"Zs", "Pd"})
NHS_NUMBER_SEPARATORS = frozenset("\t\n\r\u2212")
# The ranges an NHS number (or a UK health service number) is issued from, as
# the nhs-number package records them: England, Wales and the Isle of Man;
# Scotland's CHI; Northern Ireland's H&C. Unallocated and reserved blocks are
# never issued, and Irish IHI numbers are not NHS numbers.
ISSUED_NHS_REGIONS = (
    nhs_number.REGION_ENGLAND_WALES_IOM,
    nhs_number.REGION_SCOTLAND,
    nhs_number.REGION_NORTHERN_IRELAND,
)


def _ascii_digits(value: str) -> str:
    """Every decimal digit in any script as its ASCII digit; separators dropped.

    '９４３ ４７６ ５９１９' and '٩٤٣٤٧٦٥٩١٩' both become '9434765919', so a number
    typed on a phone with another keyboard is the same match key as the one a
    GP system sends. Anything else (letters, superscripts, circled digits) is
    kept as it is and fails the check that follows.
    """
    out = []
    for char in value:
        if char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        elif char in NHS_NUMBER_SEPARATORS or unicodedata.category(char) in (
            NHS_NUMBER_SEPARATOR_CATEGORIES
        ):
            continue
        else:
            out.append(char)
    return "".join(out)


def normalise_nhs_number(value: str) -> str:
    """'943 476 5919' -> '9434765919': the one normaliser of NHS numbers.

    Forms, the API, the services and any import call this (directly or through
    validate_nhs_number), so a number is stored, matched and exported only as
    ten ASCII digits. Raises ValidationError unless the check digit is right
    and the number can be real: never all one digit (0000000000 passes the
    modulus 11 check), and from a range numbers are issued from. The synthetic
    test range (9xx) is accepted only with settings.NHS_NUMBER_ACCEPT_TEST_RANGE.
    """
    digits = _ascii_digits(value or "")
    if not (
        len(digits) == 10 and ASCII_DIGITS_RE.fullmatch(digits) and nhs_number.is_valid(digits)
    ):
        raise ValidationError(
            _("Enter a valid 10-digit NHS number, such as 943 476 5919."),
            code="invalid_nhs_number",
        )
    regions: tuple[nhs_number.Region, ...] = ISSUED_NHS_REGIONS
    if settings.NHS_NUMBER_ACCEPT_TEST_RANGE:
        regions = (*regions, nhs_number.REGION_SYNTHETIC)
    if len(set(digits)) == 1 or not any(region.contains_number(digits) for region in regions):
        raise ValidationError(
            _(
                "This cannot be a real NHS number: no one is given it. Check it with the "
                "person or their GP record, or leave it blank."
            ),
            code="impossible_nhs_number",
        )
    return digits


def validate_nhs_number(value: str) -> None:
    normalise_nhs_number(value)


def validate_not_in_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("The date of birth cannot be in the future."), code="future")
