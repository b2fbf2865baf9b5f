"""The partner systems in the API stories.

Afon Surgery's GP system ("Afon EMIS") refers and reads with its own token;
its reporting tool ("Afon Reports") may only read; Bryn Medical Centre's
system ("Bryn EMIS") is the outsider.
"""

import json
import os

import pytest
from django.core.cache import caches
from hypothesis import settings

from accounts.models import ApiScope
from accounts.services import api_client_create
from tests.factories import OrganisationFactory

BOTH = [ApiScope.REFERRALS_WRITE, ApiScope.REFERRALS_READ]

# The property-based tests here (Hypothesis, and Schemathesis through it) draw as many
# examples as the profile says: a quick run while working on the code, the thorough one in
# CI (.ci/run sets HYPOTHESIS_PROFILE=thorough). Both are bounded, and each test keeps its
# fixed seed or derandomisation, so a run repeats.
settings.register_profile("quick", max_examples=50)
settings.register_profile("thorough", max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


class Partner:
    """A partner system calling the API with its Bearer token."""

    def __init__(self, client, api_client, token):
        self.client, self.api_client, self.token = client, api_client, token

    def headers(self, extra=None):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **(extra or {})}

    def get(self, path, data=None, **extra):
        return self.client.get(path, data, **self.headers(extra))

    def post(self, path, body, **extra):
        raw = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(path, raw, content_type="application/json", **self.headers(extra))


@pytest.fixture(autouse=True)
def empty_rate_limits():
    """Rate-limit counters live in the cache; each story starts with none."""
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def afon_emis(client, practice, scheme):
    api_client, token = api_client_create(name="Afon EMIS", organisation=practice, scopes=BOTH)
    return Partner(client, api_client, token)


@pytest.fixture
def afon_reports(client, practice, scheme):
    api_client, token = api_client_create(
        name="Afon Reports", organisation=practice, scopes=[ApiScope.REFERRALS_READ]
    )
    return Partner(client, api_client, token)


@pytest.fixture
def bryn_emis(client, scheme):
    bryn = OrganisationFactory(name="Bryn Medical Centre", area=scheme.area)
    api_client, token = api_client_create(name="Bryn EMIS", organisation=bryn, scopes=BOTH)
    return Partner(client, api_client, token)


@pytest.fixture
def referral_body():
    """Dr Ffion Hughes at Afon Surgery refers Glenys, in the API's shape."""
    return {
        "person": {
            "given_name": "Glenys",
            "family_name": "Pritchard",
            "date_of_birth": "1948-03-02",
            "nhs_number": "943 476 5919",
            "gender": "female",
            "postcode": "cf10 1aa",
            "phone": "07700 900123",
            "contact_method": "phone",
            "preferred_language": "cy",
        },
        "reasons": ["loneliness", "bereavement"],
        "what_matters": "Since her husband died she rarely goes out; she used to sing.",
        "urgency": "routine",
        "consent_to_referral": True,
        "consent_to_share": True,
        "gp_feedback": "coded_only",
        "referrer": {"name": "Dr Ffion Hughes", "role": "GP"},
    }


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "schemathesis: the bounded schemathesis run against /api/schema/ "
        '(skip locally with -m "not schemathesis"; CI runs it)',
    )


def pytest_collection_modifyitems(items):
    """Give each Schemathesis operation its own test id.

    Under pytest 9 schemathesis names every operation's item alike
    (`...::test_the_api_does_what_its_schema_says`), and pytest-xdist, which
    sends tests to its processes by id, then ran only one of them. The id takes
    the item's name, which holds the operation: `...[POST /api/v1/referrals/]`.
    """
    for item in items:
        if "[" in item.name and not item.nodeid.endswith("]"):
            item._nodeid = f"{item.nodeid.rsplit('::', 1)[0]}::{item.name}"
