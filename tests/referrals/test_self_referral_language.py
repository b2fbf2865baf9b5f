"""The Welsh self-referral form asks for Welsh by default (issue 16, point 9)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _chosen(html):
    select = re.search(r'<select name="preferred_language".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="(\w+)" selected>', select).group(1)


def test_the_welsh_address_defaults_to_welsh(client, scheme):
    assert _chosen(client.get("/cy/self-referral/").content.decode()) == "cy"


def test_the_english_address_defaults_to_english(client, scheme):
    assert _chosen(client.get("/self-referral/").content.decode()) == "en"


def test_a_choice_sent_is_kept(client, scheme):
    response = client.post("/cy/self-referral/", {"preferred_language": "en"})
    assert _chosen(response.content.decode()) == "en"
