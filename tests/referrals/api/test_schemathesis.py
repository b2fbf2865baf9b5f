"""Schemathesis drives the partner API from its own OpenAPI document (/api/schema/).

Every check schemathesis has runs against every operation: no 500, only
documented statuses, content types and headers, answers that match their
schemas, valid requests accepted, invalid ones refused, unknown methods
405, missing or bad tokens 401. The run is bounded and repeatable: a fixed
seed, SCHEMATHESIS_MAX_EXAMPLES examples per operation and phase (by
default the Hypothesis profile's: 50 in the quick one, 300 in the thorough
one CI runs; see conftest.py), no example database. It runs in-process
through WSGI with Afon EMIS's own token and data, in `make test` and so in
.ci/run; `-m "not schemathesis"` skips it locally.

The schema says everything the API checks but two things JSON Schema has
no words for, and the run supplies those: an NHS number's check digit
(the schema names `format: nhs-number`; valid numbers are drawn here, and
a number the coverage phase builds from the pattern alone, such as
0-000000000, is swapped for a drawn one) and that a date of birth is not
after today (stated in its description; a generated date of birth in the
future is moved into the past).
"""

import os
from datetime import date

import nhs_number
import pytest
import schemathesis
from django.core import signals
from django.core.exceptions import ValidationError
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from accounts.services import api_client_create
from linkworkers.services import referral_allocate
from referrals import services
from referrals.api.examples import EXAMPLE_REFERRAL_ID
from referrals.validators import validate_nhs_number
from tests.factories import ReferralFactory
from tests.referrals.api.conftest import BOTH

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

SEED = 20261203
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", settings.default.max_examples))


def _with_check_digit(stem: str) -> str | None:
    check = nhs_number.calculate_checksum(stem)
    return None if check == 10 else f"{stem}{check}"


# Numbers from the ranges issued in England and Wales (400-499, 600-799), in the layouts
# partners send: 9434765919, 943 476 5919, 943-476-5919.
_nhs_numbers = (
    st.tuples(st.sampled_from("467"), st.text("0123456789", min_size=8, max_size=8))
    .map(lambda parts: _with_check_digit("".join(parts)))
    .filter(bool)
    .flatmap(
        lambda digits: st.sampled_from(
            [
                digits,
                f"{digits[:3]} {digits[3:6]} {digits[6:]}",
                f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
            ]
        )
    )
)
schemathesis.openapi.format("nhs-number", _nhs_numbers)


def _issued_nhs_number(value: str) -> str:
    """A number someone could be given, made from `value`'s digits: same layout, same length."""
    digits = "".join(char for char in value if char.isdigit())
    stem = "4" + (digits[1:9] + "00000000")[:8]
    for last in range(10):
        number = _with_check_digit(stem[:8] + str(last))
        if number:
            return number
    raise AssertionError("no check digit fits")  # pragma: no cover: one always does


def _what_the_schema_cannot_say(context, body):
    person = body.get("person") if isinstance(body, dict) else None
    number = person.get("nhs_number") if isinstance(person, dict) else None
    if isinstance(number, str) and number.strip(" -"):
        try:
            validate_nhs_number(number)
        except ValidationError:
            if sum(char.isdigit() for char in number) == 10:
                person["nhs_number"] = _issued_nhs_number(number)
    born = person.get("date_of_birth") if isinstance(person, dict) else None
    if isinstance(born, str):
        try:
            parsed = date.fromisoformat(born)
        except ValueError:
            return body
        if parsed > date.today():
            person["date_of_birth"] = parsed.replace(year=1950 + parsed.year % 70).isoformat()
    return body


@pytest.fixture
def database_kept_open():
    """Django closes the connection at the start and end of each WSGI request, which would end
    the test's transaction; its test client stops that the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def afon_emis_token(practice, scheme):
    """Afon EMIS, with a rate limit high enough for the run (429 has its own tests)."""
    _client, token = api_client_create(
        name="Afon EMIS", organisation=practice, scopes=BOTH, rate_limit=1_000_000
    )
    return token


@pytest.fixture
def afon_referrals(practice, scheme, coordinator, link_worker):
    """What Afon EMIS reads: Glenys's referral, with the id the schema's examples use, accepted
    and allocated (a timeline; no NHS number, no preferred name), and one just received."""
    glenys = ReferralFactory(
        uuid=EXAMPLE_REFERRAL_ID,
        referring_organisation=practice,
        scheme=scheme,
        person__given_name="Glenys",
        person__nhs_number=None,
        person__preferred_name="",
    )
    glenys = services.referral_accept(referral=glenys, actor=coordinator, note="Call after 10am.")
    referral_allocate(referral=glenys, actor=coordinator, link_worker=link_worker)
    ReferralFactory(referring_organisation=practice, scheme=scheme)


# Loaded when the module is collected (schemathesis's lazy fixture loader does not work with
# pytest 9): the schema view needs no database, and the calls run inside each test's transaction.
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    get_wsgi_application(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # The token is sent by the test; schemathesis's own auth checks send none or a bad one.
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                "with-security-parameters": False,
            },
            "checks": {"enabled": True},
        }
    ),
)
schema.hook("map_body")(_what_the_schema_cannot_say)


@schema.parametrize()
# The token is made once per operation and shared by its examples, as intended. A shared
# 2-core machine may be slow to draw or answer: the run checks answers, not speed.
@settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
    ],
    deadline=None,
)  # fmt: skip
def test_the_api_does_what_its_schema_says(
    case, database_kept_open, afon_emis_token, afon_referrals
):
    # The coverage phase builds bodies from the schema's patterns without the map_body hook.
    case.body = _what_the_schema_cannot_say(None, case.body)
    case.call_and_validate(headers={"Authorization": f"Bearer {afon_emis_token}"})
