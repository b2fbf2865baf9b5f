"""Every pair of statuses: allowed moves succeed for the right people; all others change nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import InvalidTransition, Refused, StaleVersion
from linkworkers.services import referral_allocate
from referrals import selectors, services
from referrals.models import TRANSITIONS, ReferralEvent, Status

pytestmark = pytest.mark.django_db

ACTORS = ["referrer", "coordinator", "link_worker", "other_link_worker", "outsider_referrer",
          "outsider_coordinator", "provider", "commissioner"]  # fmt: skip
ROLE_OF = {"referrer": "referrer", "coordinator": "coordinator", "link_worker": "link_worker"}
# Never see this referral, at any status: refused as if it were not there (404).
OUTSIDERS = {"outsider_referrer", "outsider_coordinator", "provider", "commissioner"}
PAIRS = [(a, b) for a in Status.values for b in Status.values]


def _at_status(referral, status, link_worker):
    referral.status = status
    if status in (Status.ALLOCATED, Status.IN_PROGRESS, Status.ON_HOLD, Status.CLOSED):
        referral.link_worker = link_worker
    if status == Status.CLOSED:
        referral.closed_at = timezone.now() - timedelta(days=3)
    referral.save()
    return referral


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS)
def test_each_move_is_allowed_only_for_the_right_people(referral, people, from_status, to_status):
    allowed_roles = TRANSITIONS.get((from_status, to_status), frozenset())
    for name in ACTORS:
        actor = people[name]
        _at_status(referral, from_status, people["link_worker"])
        referral.refresh_from_db()
        before = (referral.status, referral.version, ReferralEvent.objects.count())
        may = name in ROLE_OF and ROLE_OF[name] in allowed_roles
        changes = {"link_worker": people["link_worker"]} if to_status == Status.ALLOCATED else {}
        if may:
            moved = services.referral_transition(
                referral=referral, actor=actor, to_status=to_status, changes=changes
            )
            assert moved.status == to_status, (name, from_status, to_status)
            assert moved.version == before[1] + 1
            event = ReferralEvent.objects.latest("pk")
            assert (event.from_status, event.to_status, event.actor) == (
                from_status,
                to_status,
                actor,
            )
        else:
            # Refused (404) where the actor cannot see the referral; a reason (409) where they can.
            sees = selectors.referrals_visible_to(actor).filter(pk=referral.pk).exists()
            assert not (sees and name in OUTSIDERS), (name, from_status)
            with pytest.raises(InvalidTransition if sees else Refused):
                services.referral_transition(
                    referral=referral, actor=actor, to_status=to_status, changes=changes
                )
            referral.refresh_from_db()
            after = (referral.status, referral.version, ReferralEvent.objects.count())
            assert after == before, (name, from_status, to_status)


def test_the_table_matches_the_design():
    assert set(TRANSITIONS) == {
        ("received", "accepted"), ("received", "rejected"), ("received", "cancelled"),
        ("accepted", "allocated"), ("accepted", "cancelled"),
        ("allocated", "in_progress"), ("allocated", "closed"),
        ("in_progress", "on_hold"), ("in_progress", "closed"),
        ("on_hold", "in_progress"), ("on_hold", "closed"),
        ("closed", "in_progress"),
    }  # fmt: skip


def test_a_refused_move_says_why(referral, coordinator):
    with pytest.raises(
        InvalidTransition, match="A referral that is Received cannot be moved to Closed."
    ):
        services.referral_transition(referral=referral, actor=coordinator, to_status=Status.CLOSED)


def test_milestones_are_stamped_along_the_way(referral, coordinator, link_worker):
    referral = services.referral_accept(referral=referral, actor=coordinator)
    assert referral.accepted_at is not None
    referral = referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    assert referral.allocated_at and referral.link_worker == link_worker
    referral = services.referral_start(referral=referral, actor=link_worker, note="Long chat")
    assert referral.first_contact_at is not None
    referral = services.referral_hold(
        referral=referral, actor=link_worker, review_date=timezone.localdate() + timedelta(days=7)
    )
    assert referral.hold_review_date
    referral = services.referral_resume(referral=referral, actor=link_worker)
    assert referral.hold_review_date is None
    referral = services.referral_close(
        referral=referral, actor=link_worker, reason="completed", summary="Joined a walking group."
    )
    assert (referral.status, referral.closure_reason) == ("closed", "completed")
    assert referral.closed_at is not None
    assert referral.version == 7


def test_reopening_within_90_days_goes_back_to_in_progress(referral, people):
    _at_status(referral, Status.CLOSED, people["link_worker"])
    referral = services.referral_reopen(referral=referral, actor=people["coordinator"])
    assert referral.status == Status.IN_PROGRESS
    assert referral.closed_at is None


def test_reopening_after_90_days_is_refused(referral, people):
    _at_status(referral, Status.CLOSED, people["link_worker"])
    referral.closed_at = timezone.now() - timedelta(days=91)
    referral.save()
    with pytest.raises(InvalidTransition, match="within 90 days"):
        services.referral_reopen(referral=referral, actor=people["coordinator"])
    referral.refresh_from_db()
    assert referral.status == Status.CLOSED


def test_a_stale_version_is_refused_with_a_clear_message(referral, coordinator):
    services.referral_accept(referral=referral, actor=coordinator, expected_version=1)
    with pytest.raises(StaleVersion, match="changed by someone else"):
        services.referral_reject(
            referral=referral, actor=coordinator, expected_version=1,
            reason="other", suggested_alternative="Try the library.",
        )  # fmt: skip
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED


def test_allocation_needs_a_link_worker_of_this_scheme(referral, coordinator, outsider_coordinator):
    from core.exceptions import ValidationError

    services.referral_accept(referral=referral, actor=coordinator)
    with pytest.raises(ValidationError) as error:
        referral_allocate(referral=referral, actor=coordinator, link_worker=outsider_coordinator)
    assert "link_worker" in error.value.field_errors


def test_closing_needs_a_known_reason_and_a_summary(referral, people):
    from core.exceptions import ValidationError

    _at_status(referral, Status.IN_PROGRESS, people["link_worker"])
    with pytest.raises(ValidationError) as error:
        services.referral_close(
            referral=referral, actor=people["link_worker"], reason="bored", summary=""
        )
    assert set(error.value.field_errors) == {"reason", "summary"}


def test_a_stale_resume_does_not_reopen_a_closed_referral(referral, people):
    _at_status(referral, Status.ON_HOLD, people["link_worker"])
    stale = type(referral).objects.get(pk=referral.pk)
    services.referral_close(
        referral=referral,
        actor=people["coordinator"],
        reason="moved_away",
        summary="Moved to Leeds.",
    )
    with pytest.raises(InvalidTransition, match="now Closed"):
        services.referral_resume(referral=stale, actor=people["link_worker"])
    referral.refresh_from_db()
    assert referral.status == Status.CLOSED


def test_an_outsider_is_refused_as_if_the_referral_were_not_there(referral, outsider_coordinator):
    with pytest.raises(Refused, match="This referral is not one you can change."):
        services.referral_transition(
            referral=referral, actor=outsider_coordinator, to_status=Status.ACCEPTED
        )
    referral.refresh_from_db()
    assert referral.status == Status.RECEIVED


def test_a_referrer_who_sees_the_referral_gets_the_reason(referral, gp_receptionist):
    with pytest.raises(InvalidTransition, match="Your role cannot move a referral to Accepted."):
        services.referral_transition(
            referral=referral, actor=gp_receptionist, to_status=Status.ACCEPTED
        )
