"""`{{ number|nhs_number }}`: an NHS number as people read it, in groups of 3, 3 and 4."""

import re

from django import template

register = template.Library()


@register.filter
def nhs_number(value: object) -> str:
    """Show "9434765919" (or "943 476 5919", "943-476-5919") as "943 476 5919".

    Anything that is not ten digits once spaces and dashes are taken out is
    shown as it was, so a bad value is never hidden; None and "" give "".
    """
    if value is None:
        return ""
    text = str(value)
    digits = re.sub(r"[\s-]", "", text)
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return text
