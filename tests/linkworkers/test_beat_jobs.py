"""The nightly jobs for link workers, each run twice: nothing is sent or moved twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import InvalidTransition
from core.models import OutboxEmail
from linkworkers import tasks
from linkworkers.models import DigestSent, OutcomeReviewNotice
from linkworkers.services import digests_send
from referrals.models import Notification, ReferralEvent, Status
from referrals.services import referral_close
from tests.factories import OutcomeMeasureFactory, ReferralFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue_case(case, link_worker):
    """Glenys's first contact was due weeks ago."""
    link_worker.email = "llinos@example.org"
    link_worker.save()
    case.allocated_at = timezone.now() - timedelta(days=30)
    case.save()
    return case


# (a) the daily digest --------------------------------------------------------


def test_the_digest_lists_overdue_items_once_a_day(overdue_case, link_worker):
    tasks.send_digests()
    tasks.send_digests()
    email = OutboxEmail.objects.get(to="llinos@example.org")
    assert email.subject == "1 case with something overdue"
    assert overdue_case.reference in email.body_text
    assert "First contact due" in email.body_html
    assert DigestSent.objects.filter(user=link_worker).count() == 1


def test_no_digest_when_nothing_is_overdue(case, link_worker):
    link_worker.email = "llinos@example.org"
    link_worker.save()
    assert tasks.send_digests() == 0
    assert not OutboxEmail.objects.exists()


def test_the_digest_is_in_the_link_workers_language(overdue_case, link_worker):
    link_worker.preferred_language = "cy"
    link_worker.save()
    tasks.send_digests()
    email = OutboxEmail.objects.get(to="llinos@example.org")
    assert email.subject == "1 achos â rhywbeth yn hwyr"
    assert "Gweld eich achosion sy'n hwyr" in email.body_text


def test_the_next_day_brings_a_new_digest(overdue_case, link_worker):
    today = timezone.localdate()
    digests_send(today=today)
    digests_send(today=today + timedelta(days=1))
    assert OutboxEmail.objects.filter(to="llinos@example.org").count() == 2


# (b) outcome reviews falling due --------------------------------------------------


def _baseline(case, weeks_ago):
    return OutcomeMeasureFactory(
        referral=case, answered_on=timezone.localdate() - timedelta(weeks=weeks_ago)
    )


def test_the_link_worker_is_told_once_when_a_review_falls_due(case, link_worker):
    case.status = Status.IN_PROGRESS
    case.save()
    baseline = _baseline(case, 12)
    assert tasks.notify_outcome_reviews() == 1
    assert tasks.notify_outcome_reviews() == 0
    notice = Notification.objects.get(recipient=link_worker)
    assert "review" in notice.message and case.reference in notice.message
    assert OutcomeReviewNotice.objects.get().baseline == baseline


def test_a_review_not_yet_due_is_not_told(case, link_worker):
    case.status = Status.IN_PROGRESS
    case.save()
    _baseline(case, 11)
    assert tasks.notify_outcome_reviews() == 0
    assert not Notification.objects.exists()


def test_a_review_already_recorded_is_not_told(case, link_worker):
    case.status = Status.IN_PROGRESS
    case.save()
    baseline = _baseline(case, 13)
    OutcomeMeasureFactory(referral=case, instrument=baseline.instrument, timepoint="review")
    assert tasks.notify_outcome_reviews() == 0


# (c) on-hold cases coming back -----------------------------------------------------


def test_a_hold_comes_back_on_its_review_date_once(case, link_worker):
    case.status = Status.ON_HOLD
    case.hold_review_date = timezone.localdate()
    case.save()
    assert tasks.resume_holds() == 1
    assert tasks.resume_holds() == 0
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.hold_review_date is None
    event = ReferralEvent.objects.get(referral=case, kind=ReferralEvent.Kind.STATUS)
    assert (event.from_status, event.to_status, event.actor) == (
        Status.ON_HOLD,
        Status.IN_PROGRESS,
        None,
    )
    assert Notification.objects.filter(recipient=link_worker, referral=case).count() == 1


def test_a_hold_with_a_later_review_stays(case):
    case.status = Status.ON_HOLD
    case.hold_review_date = timezone.localdate() + timedelta(days=1)
    case.save()
    assert tasks.resume_holds() == 0
    case.refresh_from_db()
    assert case.status == Status.ON_HOLD


def test_the_system_may_make_no_other_move(case):
    with pytest.raises(InvalidTransition):
        referral_close(referral=case, actor=None, reason="completed", summary="Done.")


def test_the_beat_schedule_has_the_jobs(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "linkworkers.send_digests",
        "linkworkers.notify_outcome_reviews",
        "linkworkers.resume_holds",
    } <= tasks_scheduled


def test_other_schemes_cases_are_resumed_too(outsider_coordinator):
    worker = UserFactory(role="link_worker", organisation=outsider_coordinator.organisation)
    other = ReferralFactory(
        scheme=outsider_coordinator.organisation,
        link_worker=worker,
        status=Status.ON_HOLD,
        hold_review_date=timezone.localdate(),
    )
    assert tasks.resume_holds() == 1
    other.refresh_from_db()
    assert other.status == Status.IN_PROGRESS
