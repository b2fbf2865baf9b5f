"""The demo's data protection officer: `dpo`, password `demo`, at the scheme."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Organisation, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(demo_data, settings):
    """What `seed_demo` leaves, row for row (the rows this test process kept, tests/conftest.py)."""
    settings.DEBUG = True  # for the test that runs seed_demo again


def test_seed_demo_makes_the_dpo_login_at_the_scheme(seeded):
    dpo = User.objects.get(username="dpo")
    assert dpo.role == Role.DPO
    assert dpo.check_password("demo")
    assert dpo.organisation.kind == Organisation.Kind.SCHEME


def test_running_it_twice_keeps_one_dpo(seeded):
    call_command("seed_demo", stdout=StringIO())
    assert User.objects.filter(role=Role.DPO).count() == 1


def test_the_dpo_signs_in_and_lands_on_a_home_linking_to_the_audit_trail(seeded, client):
    response = client.post(
        reverse("accounts:login"), {"username": "dpo", "password": "demo"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Data protection</h1>" in page
    assert f'href="{reverse("privacy:audit")}"' in page
    assert f'href="{reverse("privacy:unusual")}"' in page
    assert client.get(reverse("privacy:audit")).status_code == 200
