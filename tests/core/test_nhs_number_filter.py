"""NHS numbers are shown as 3-3-4 everywhere: the `nhs_number` filter (issue 16, point 9)."""

import pytest
from django.template import Context, Template

from core.templatetags.nhs import nhs_number


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("9434765919", "943 476 5919"),
        ("943 476 5919", "943 476 5919"),
        ("943-476-5919", "943 476 5919"),
        (9434765919, "943 476 5919"),
        ("", ""),
        (None, ""),
        ("12345", "12345"),  # not ten digits: shown as it is, never hidden
        ("<b>943476591x</b>", "<b>943476591x</b>"),
    ],
)
def test_it_groups_ten_digits(value, shown):
    assert nhs_number(value) == shown


def test_in_a_template_it_stays_escaped():
    html = Template("{% load nhs %}{{ n|nhs_number }}").render(Context({"n": "<script>"}))
    assert html == "&lt;script&gt;"
