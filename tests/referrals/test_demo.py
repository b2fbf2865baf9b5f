from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from linkworkers.models import LinkWorker
from referrals.models import Person, Referral, ReferralEvent, SourceKind, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(demo_data, settings):
    settings.DEBUG = True  # for the tests that run seed_demo again


def test_it_adds_about_300_referrals_in_every_status_from_every_source(seeded):
    assert 280 <= Referral.objects.count() <= 320
    by_status = dict(Referral.objects.values_list("status").annotate(Count("id")))
    assert set(by_status) == set(Status.values)
    assert set(Referral.objects.values_list("source_kind", flat=True)) == set(SourceKind.values)


def test_the_linkworker_login_holds_at_least_ten_open_cases(seeded):
    assert Referral.objects.open().filter(link_worker__username="linkworker").count() >= 10
    assert LinkWorker.objects.count() == 3


def test_nhs_numbers_are_from_the_test_range_and_valid(seeded):
    import nhs_number

    numbers = list(Person.objects.exclude(nhs_number=None).values_list("nhs_number", flat=True))
    assert numbers and all(n.startswith("999") and nhs_number.is_valid(n) for n in numbers)


def test_running_it_twice_adds_nothing(seeded):
    counts = (Referral.objects.count(), Person.objects.count(), ReferralEvent.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (
        Referral.objects.count(),
        Person.objects.count(),
        ReferralEvent.objects.count(),
    ) == counts
