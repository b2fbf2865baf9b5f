"""Demo outcome measures: on worked demo cases, consistent with the scoring, added once."""
# ruff: noqa: F811 (fixtures imported from outcome_people are a test's arguments)

from io import StringIO

import pytest
from django.utils import timezone

from linkworkers.demo_outcomes import seed_outcomes
from linkworkers.models import Answer, OutcomeMeasure
from linkworkers.scoring import score
from referrals.models import Referral
from tests.linkworkers.outcome_people import (  # noqa: F401
    fast_password_hashing,
    in_english,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(demo_data):
    return demo_data  # what seed_demo printed: it adds the outcome measures too


def test_it_adds_baselines_reviews_and_closures_to_worked_cases(seeded):
    assert "outcome measures on" in seeded
    timepoints = set(OutcomeMeasure.objects.values_list("timepoint", flat=True))
    assert timepoints == {"baseline", "review", "closure"}
    statuses = set(OutcomeMeasure.objects.values_list("referral__status", flat=True))
    assert statuses == {"in_progress", "closed"}
    assert set(OutcomeMeasure.objects.values_list("instrument__code", flat=True)) == {
        "ons4", "ucla3",
    }  # fmt: skip


def test_the_demo_link_worker_still_has_cases_awaiting_a_baseline(seeded):
    waiting = Referral.objects.open().filter(
        link_worker__username="linkworker", outcome_measures__isnull=True
    )
    assert waiting.exists()


def test_some_open_cases_wait_for_their_baseline_and_some_have_one(seeded):
    in_progress = Referral.objects.filter(status="in_progress")
    assert in_progress.filter(outcome_measures__isnull=True).exists()
    assert in_progress.filter(outcome_measures__timepoint="baseline").exists()


def test_the_stored_scores_are_the_engines(seeded):
    for measure in OutcomeMeasure.objects.filter(instrument__code="ucla3").prefetch_related(
        "answers", "instrument__items"
    )[:20]:
        answers = {a.item_id: a.value for a in measure.answers.all()}
        assert score(measure.instrument, answers).raw == measure.raw_score


def test_dates_fall_between_the_referral_and_today(seeded):
    today = timezone.localdate()
    for measure in OutcomeMeasure.objects.select_related("referral"):
        assert timezone.localdate(measure.referral.received_at) <= measure.answered_on <= today


def test_running_it_twice_adds_nothing(seeded):
    counts = (OutcomeMeasure.objects.count(), Answer.objects.count())
    out = StringIO()
    seed_outcomes(out)
    assert (OutcomeMeasure.objects.count(), Answer.objects.count()) == counts
    assert "already there" in out.getvalue()
