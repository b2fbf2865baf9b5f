from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from linkworkers.models import LinkWorker
from referrals.models import GPFeedback, Person, Referral, ReferralEvent, SourceKind, Status

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


def test_gwen_has_a_closed_referral_whose_person_chose_coded_events_only(seeded, client):
    """The summary is in the record and the event, and her page shows neither."""
    gwen = User.objects.get(username="gp")
    coded_only = Referral.objects.filter(
        status=Status.CLOSED,
        gp_feedback=GPFeedback.CODED_ONLY,
        referring_organisation__ods_code="W99001",
        referring_user=gwen,
    ).exclude(closure_summary="")
    assert coded_only.exists()
    assert Referral.objects.filter(status=Status.CLOSED, gp_feedback="everything").exists()
    referral = coded_only.order_by("closed_at").first()
    closure = referral.events.get(kind=ReferralEvent.Kind.STATUS, to_status=Status.CLOSED)
    assert closure.note == referral.closure_summary and closure.visible_to_referrer

    client.force_login(gwen)
    response = client.get(reverse("referrals:detail", args=[referral.uuid]))
    assert response.status_code == 200
    html = response.content.decode()
    assert referral.closure_summary not in html and escape(referral.closure_summary) not in html
    assert 'data-testid="status">Closed</span>' in html
    assert referral.get_closure_reason_display() in html
    assert "only coded events go back to their GP" in html
