"""The demo history: connections, unmet needs and outcome pairs for the reporting dashboard."""
# ruff: noqa: F811 (fixtures imported from outcome_people are a test's arguments)

from io import StringIO

import pytest
from django.db.models import Count, Q

from linkworkers.demo_history import seed_history
from linkworkers.models import Answer, Connection, OutcomeMeasure, UnmetNeed
from linkworkers.scoring import score
from referrals.demo import PLAN
from referrals.models import Referral, ReferralEvent, Status

pytestmark = pytest.mark.django_db

WORKED = Q(status=Status.CLOSED) | Q(
    status__in=[Status.IN_PROGRESS, Status.ON_HOLD],
    link_worker__username__in=["linkworker2", "linkworker3"],
)


@pytest.fixture
def seeded(demo_data):
    return demo_data  # what seed_demo printed


def test_closed_and_worked_cases_have_connections_in_every_kind_of_ending(seeded):
    assert "demo history of" in seeded
    history = Connection.objects.filter(referral__in=Referral.objects.filter(WORKED))
    closed = set(history.filter(referral__status=Status.CLOSED).values_list("status", flat=True))
    assert {"completed", "stopped", "declined", "attending"} <= closed
    assert "referred" in set(history.values_list("status", flat=True))
    assert history.values("service__provider").distinct().count() >= 8
    assert history.values("service__taxonomy_terms").distinct().count() >= 8
    assert history.filter(service__provider__name="Teg Valley Growing Together").exists()
    assert not history.filter(decline_reason="", status="declined").exists()
    # Llinos's open cases keep only the three connections the browser tests expect, and
    # cases nobody has worked have none.
    others = Connection.objects.exclude(referral__in=Referral.objects.filter(WORKED))
    assert others.count() == 3
    assert set(others.values_list("referral__link_worker__username", flat=True)) == {"linkworker"}
    assert ReferralEvent.objects.filter(kind="connection").count() >= history.count()


def test_its_moments_follow_the_case(seeded):
    connections = Connection.objects.filter(
        referral__in=Referral.objects.filter(WORKED)
    ).select_related("referral")
    for connection in connections:
        case = connection.referral
        moments = [
            moment
            for moment in (
                connection.proposed_at,
                connection.referred_at,
                connection.answered_at,
                connection.attending_since,
                connection.ended_at,
            )
            if moment is not None
        ]
        assert moments == sorted(moments)
        assert case.first_contact_at <= moments[0]
        assert case.closed_at is None or moments[-1] <= case.closed_at
        assert connection.created_by_id == case.link_worker_id
    needs = UnmetNeed.objects.select_related("referral", "category")
    assert needs.count() >= 10
    assert needs.values("category").distinct().count() >= 3
    assert not needs.filter(category__parent__isnull=False).exists()
    for need in needs:
        case = need.referral
        assert case.first_contact_at <= need.recorded_at
        assert case.closed_at is None or need.recorded_at <= case.closed_at
        assert need.recorded_by_id == case.link_worker_id


def test_closed_cases_have_scored_baseline_and_closure_pairs(seeded):
    pairs = (
        OutcomeMeasure.objects.filter(referral__status=Status.CLOSED)
        .values("referral", "instrument__code")
        .annotate(
            baselines=Count("pk", filter=Q(timepoint="baseline")),
            closures=Count("pk", filter=Q(timepoint="closure")),
        )
    )
    assert {(p["instrument__code"], p["baselines"], p["closures"]) for p in pairs} == {
        ("ons4", 1, 1),
        ("ucla3", 1, 1),
    }
    closed = Referral.objects.filter(status=Status.CLOSED)
    assert closed.filter(outcome_measures__timepoint="closure").distinct().count() >= (
        closed.count() * 0.4
    )
    for measure in OutcomeMeasure.objects.prefetch_related("answers", "instrument__items"):
        answers = {a.item_id: a.value for a in measure.answers.all()}
        result = score(measure.instrument, answers)
        assert (measure.raw_score, measure.converted_score) == (result.raw, result.converted)


def test_no_case_changes_status(seeded):
    statuses = dict(Referral.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses == {status: count for status, count, _path in PLAN}


def test_running_it_twice_adds_nothing(seeded):
    models = (Connection, UnmetNeed, OutcomeMeasure, Answer, ReferralEvent)
    counts = [model.objects.count() for model in models]
    out = StringIO()
    seed_history(out)
    assert [model.objects.count() for model in models] == counts
    assert "already there" in out.getvalue()
