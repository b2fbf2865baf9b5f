"""The partner API against the bare endpoint (`make bench`): both answer, and the figures
that noise cannot blur (statements per request) are what the API promises."""

import pytest
from django.db import connection
from django.test import override_settings

from accounts.models import ApiScope
from accounts.services import api_client_create
from bench import api
from tests.factories import AreaFactory, OrganisationFactory, ReferralFactory, SchemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shapes():
    area = AreaFactory()
    scheme = SchemeFactory(area=area)
    practice = OrganisationFactory(area=area)
    made = ReferralFactory.create_batch(3, referring_organisation=practice, scheme=scheme)
    _client, token = api_client_create(
        name="Bench", organisation=practice, scopes=[ApiScope.REFERRALS_WRITE,
        ApiScope.REFERRALS_READ], rate_limit=10_000,
    )  # fmt: skip
    return api._shapes(token, practice.pk, str(made[0].uuid), str(made[1].uuid))


def test_each_side_answers_and_the_api_runs_few_statements(shapes, monkeypatch):
    monkeypatch.setattr(api, "CPU_REQUESTS", 2)
    postgres = connection.vendor == "postgresql"
    expected = {  # the key's transaction: a savepoint in a test, BEGIN and COMMIT outside it
        # PostgreSQL: the match-key lock with the look for the person, the person with the
        # referral, five rows in one round trip (the coordinators to tell are this process's
        # copy: referrals.selectors).
        "create": 5 if postgres else 8,
        "read one": 3 if postgres else 4,
        "list, 50 a page": 3 if postgres else 4,
    }
    for shape in shapes:
        api_statements, bare_statements, api_cpu, bare_cpu = api._in_process(shape)
        assert api_statements == expected[shape.name], shape.name
        assert bare_statements <= 2
        assert api_cpu > 0 and bare_cpu > 0


def test_the_bare_list_is_the_organisations_newest_first(shapes, client):
    with override_settings(ROOT_URLCONF="bench.urls"):
        call = shapes[2].bare(0)
        body = client.get(call.path).json()
    assert body["count"] == 3
    received = [row["received_at"] for row in body["results"]]
    assert received == sorted(received, reverse=True)


def test_the_cpu_figures_alone_print_each_shape_each_round(shapes, monkeypatch, capsys):
    """`--api-cpu ROUNDS`: no gunicorn, one line a shape with a figure a round."""
    import logging

    monkeypatch.setattr(api, "CPU_REQUESTS_ALONE", 2)
    api.measure_cpu(2)
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split("  ")[0].strip(): line for line in lines[2:] if line.strip()}
    assert set(rows) == {"create", "read one", "list, 50 a page"}
    assert all(row.count("x)") == 2 for row in rows.values())
    assert not logging.root.manager.disable  # logging is back on afterwards


def test_no_two_requests_of_a_run_share_a_number(monkeypatch):
    """A create's person is new each time: a turn never numbers its people from 0 again."""
    seen = []

    def make(n):
        seen.append(n)
        return api.Call("GET", "/", 200)

    monkeypatch.setattr(api, "_send", lambda port, call: (200, b""))
    for _ in range(2):
        assert api.drive(0, make, 0.05, 2).done
    assert len(seen) == len(set(seen))
