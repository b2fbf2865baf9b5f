"""One way to write a postcode, whoever typed it: a referrer, a self-referrer, an import."""

import pytest
from django.core.exceptions import ValidationError

from core.postcodes import InvalidPostcode, PostcodeError, clean_postcode, normalise_postcode


@pytest.mark.parametrize(
    ("typed", "written"),
    [("cf10 1aa", "CF10 1AA"), ("CF101AA", "CF10 1AA"), (" sa1  1nw ", "SA1 1NW"),
     ("ll57 2pw", "LL57 2PW"), ("gir 0aa", "GIR 0AA"), ("EC1A1BB", "EC1A 1BB")],
)  # fmt: skip
def test_it_writes_a_postcode_one_way(typed, written):
    assert normalise_postcode(typed) == written
    assert clean_postcode(typed) == written


@pytest.mark.parametrize("typed", ["", "CF10 1A", "CF1O 1AA", "garbage", "CF10 1AA X", "QX1 1AA"])
def test_it_refuses_what_is_not_a_uk_postcode(typed):
    with pytest.raises(InvalidPostcode, match="is not a UK postcode"):
        normalise_postcode(typed)


def test_an_invalid_postcode_is_a_postcode_error():
    # The directory's lookup errors (unknown, terminated) share the base its callers catch.
    assert issubclass(InvalidPostcode, PostcodeError) and issubclass(PostcodeError, ValueError)


def test_forms_and_models_get_a_django_validation_error_naming_the_rule():
    with pytest.raises(ValidationError) as error:
        clean_postcode("CF10 1A")
    assert error.value.messages == ["Enter a UK postcode, such as CF10 1AA."]
    assert error.value.code == "invalid_postcode"


def test_unicode_look_alike_digits_are_refused():
    with pytest.raises(InvalidPostcode):
        normalise_postcode("CF１０ 1AA")  # full-width digits
