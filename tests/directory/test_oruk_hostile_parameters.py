"""Dafydd's service finder, or anyone, sends the ORUK API values no honest client would.

The ORUK API has its own profile schema and no token, so it is not part of
/api/schema/ or the schemathesis run; what it owes is the same: an answer,
a 4xx problem naming the parameter when the value is unusable, never a 500.
"""

import pytest

from tests.directory.oruk_data import build_small_directory

LISTS = [
    "/api/oruk/services",
    "/api/oruk/service_at_locations",
    "/api/oruk/taxonomies",
    "/api/oruk/taxonomy_terms",
    "/api/oruk/organizations",
]
HOSTILE = [
    ("modified_after", "2026-01-01T10:00:00-23:22"),
    ("modified_after", "9999-12-31T23:59:59-12:00"),
    ("modified_after", "0001-01-01T00:00:00+14:00"),
    ("page", "9" * 5000),
    ("page", "-1"),
    ("per_page", "9" * 30),
    ("search", "\x00"),
    ("search", "x" * 5000),
    ("minimum_age", "nan"),
    ("maximum_age", "1e400"),
    ("start_time", "10:00:00-23:22"),
    ("day", "\x00"),
    ("postcode", "\x00"),
    ("proximity", "inf"),
    ("taxonomy_id", "not-a-uuid"),
    ("top_only", "maybe"),
]


@pytest.fixture
def small_directory(db):
    return build_small_directory()


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(("name", "value"), HOSTILE)
def test_a_hostile_parameter_never_gets_a_500(client, small_directory, url, name, value):
    response = client.get(url, {name: value})
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert response["Content-Type"] == "application/problem+json"
        assert name in {param["name"] for param in response.json()["invalid_params"]}
