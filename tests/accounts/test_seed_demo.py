from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Area, Organisation, Role, User

pytestmark = pytest.mark.django_db

LOGINS = {
    "gp": Role.REFERRER,
    "linkworker": Role.LINK_WORKER,
    "coordinator": Role.COORDINATOR,
    "provider": Role.PROVIDER,
    "commissioner": Role.COMMISSIONER,
    "admin": Role.ADMIN,
}


@pytest.fixture
def seeded(demo_data, settings):
    settings.DEBUG = True  # for the tests that run seed_demo again


def test_it_creates_one_login_per_role_with_the_demo_password(seeded, client):
    for username, role in LOGINS.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert user.check_password("demo")


def test_the_gp_login_works_at_practice_w99001(seeded):
    assert User.objects.get(username="gp").organisation.ods_code == "W99001"


def test_it_builds_a_welsh_area_with_two_health_boards(seeded):
    boards = Area.objects.filter(kind=Area.Kind.HEALTH_BOARD)
    assert boards.count() == 2
    assert Area.objects.filter(kind=Area.Kind.CLUSTER, parent__in=boards).count() >= 2
    practices = Organisation.objects.filter(kind=Organisation.Kind.GP_PRACTICE)
    assert sorted(practices.values_list("ods_code", flat=True))[:2] == ["W99001", "W99002"]
    assert Organisation.objects.filter(kind=Organisation.Kind.SCHEME).count() == 1
    assert Organisation.objects.filter(kind=Organisation.Kind.PROVIDER).exists()
    assert User.objects.filter(role=Role.LINK_WORKER).count() >= 2


def test_running_it_twice_adds_nothing(seeded, settings):
    counts = (Area.objects.count(), Organisation.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Area.objects.count(), Organisation.objects.count(), User.objects.count()) == counts


def test_it_prints_the_demo_logins(demo_data):
    out = demo_data  # what this process's own run of seed_demo printed (tests/conftest.py)
    assert "password 'demo'" in out
    assert "gp            Referrer at Afon Surgery (W99001)" in out


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="seed_demo refuses to run with DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.exists()
