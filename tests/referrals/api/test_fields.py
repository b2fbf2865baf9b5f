"""The schema's postcode pattern says exactly what the postcode validator accepts."""

import re

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.postcodes import clean_postcode
from referrals.api.fields import POSTCODE_PATTERN

PATTERN = re.compile(POSTCODE_PATTERN)


def _validator_accepts(value: str) -> bool:
    try:
        clean_postcode(value)
    except ValidationError:
        return False
    return True


# A shared 2-core machine can be slow to draw: the check is of the answers, not of speed.
# As many examples as the Hypothesis profile says (conftest.py: 300 in CI).
@settings(
    derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(st.from_regex(PATTERN))
def test_every_postcode_the_pattern_allows_is_accepted(value):
    assert _validator_accepts(value.strip())


@settings(
    max_examples=500, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdeiqvz0123456789 ", max_size=10))
@example("CF10 1AA")
@example("cf101aa")
@example("GIR 0AA")
@example("CF1O 1AA")
@example("QA1 1AA")
@example("W1A 0AX")
@example("EC1A 1BB")
def test_the_pattern_and_the_validator_agree(value):
    assert bool(PATTERN.search(value.strip())) == _validator_accepts(value.strip())
