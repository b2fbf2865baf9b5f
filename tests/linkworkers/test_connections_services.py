"""Connections: every move, allowed or refused by who is asking and the status."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from core.exceptions import InvalidTransition, Refused, StaleVersion, ValidationError
from core.models import OutboxEmail
from core.outbox import outbox_email_send
from linkworkers import services
from linkworkers.models import Connection, ConnectionStatus, DeclineReason, UnmetNeed
from linkworkers.selectors import service_referral_stats
from referrals.models import Notification, ReferralEvent
from tests.factories import ConnectionFactory, ServiceFactory, TaxonomyTermFactory

pytestmark = pytest.mark.django_db


def _events(referral):
    return list(ReferralEvent.objects.filter(referral=referral, kind=ReferralEvent.Kind.CONNECTION))


def test_llinos_proposes_the_gardening_group(in_progress, link_worker, gardening):
    connection = services.connection_propose(
        referral=in_progress, actor=link_worker, service=gardening, note_for_provider="Tomatoes"
    )
    assert connection.status == ConnectionStatus.PROPOSED
    assert "Proposed Community gardening group." in _events(in_progress)[0].note
    assert not Notification.objects.exists()


def test_a_closed_service_cannot_be_proposed(in_progress, link_worker):
    closed = ServiceFactory(status="closed")
    with pytest.raises(ValidationError) as error:
        services.connection_propose(referral=in_progress, actor=link_worker, service=closed)
    assert list(error.value.field_errors) == ["service"]
    assert not Connection.objects.exists()


def test_the_same_service_twice_is_refused(proposed, link_worker, gardening):
    with pytest.raises(ValidationError) as error:
        services.connection_propose(
            referral=proposed.referral, actor=link_worker, service=gardening
        )
    assert error.value.field_errors["service"] == [
        "This person already has a connection to this service."
    ]


def test_a_long_note_is_refused_naming_the_field(in_progress, link_worker, gardening):
    with pytest.raises(ValidationError) as error:
        services.connection_propose(
            referral=in_progress, actor=link_worker, service=gardening, note_for_provider="x" * 1001
        )
    assert list(error.value.field_errors) == ["note_for_provider"]


@pytest.mark.parametrize(
    ("who", "refusal"),
    [("other_link_worker", Refused), ("coordinator", InvalidTransition), ("provider", Refused)],
)
def test_only_llinos_proposes(people, in_progress, gardening, who, refusal):
    # Carys sees the case (a reason, 409); Dafydd and Prys do not (as if not there, 404).
    with pytest.raises(refusal):
        services.connection_propose(referral=in_progress, actor=people[who], service=gardening)
    assert not Connection.objects.exists()


def test_referring_tells_prys(proposed, link_worker, prys):
    connection = services.connection_refer(connection=proposed, actor=link_worker)
    assert connection.status == ConnectionStatus.REFERRED
    assert connection.referred_at is not None
    note = Notification.objects.get(recipient=prys)
    assert "referred someone to Community gardening group" in note.message
    # The email is written when a worker sends it, from the notification.
    email = OutboxEmail.objects.get(to=prys.email)
    assert outbox_email_send(email_id=email.pk)
    email.refresh_from_db()
    assert "referred someone to Community gardening group" in email.subject
    assert "Referred to Community gardening group." in _events(proposed.referral)[-1].note


def test_a_signposting_service_is_not_referred(in_progress, link_worker, signposting):
    connection = services.connection_propose(
        referral=in_progress, actor=link_worker, service=signposting
    )
    with pytest.raises(InvalidTransition, match="does not take referrals"):
        services.connection_refer(connection=connection, actor=link_worker)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.PROPOSED


def test_referring_twice_is_refused(referred, link_worker):
    with pytest.raises(InvalidTransition, match="cannot become referred"):
        services.connection_refer(connection=referred, actor=link_worker)


def test_prys_cannot_refer(proposed, prys):
    # A proposal is not the provider's to see yet.
    with pytest.raises(Refused):
        services.connection_refer(connection=proposed, actor=prys)


def test_a_stale_version_is_refused(proposed, link_worker):
    with pytest.raises(StaleVersion):
        services.connection_refer(connection=proposed, actor=link_worker, expected_version=99)


def test_prys_accepts_and_llinos_is_told(referred, prys, link_worker):
    connection = services.connection_accept(connection=referred, actor=prys)
    assert connection.status == ConnectionStatus.ACCEPTED
    assert connection.answered_at is not None
    note = Notification.objects.get(recipient=link_worker)
    assert "Community gardening group accepted the referral for" in note.message
    assert OutboxEmail.objects.filter(to=link_worker.email).exists()


@pytest.mark.parametrize(
    ("who", "refusal"),
    [("rhodri", Refused), ("link_worker", InvalidTransition), ("coordinator", InvalidTransition)],
)
def test_only_the_services_provider_accepts(referred, request, who, refusal):
    # Rhodri, of another provider, may not know the connection exists.
    with pytest.raises(refusal, match="Only the staff of this service's provider"):
        services.connection_accept(connection=referred, actor=request.getfixturevalue(who))
    referred.refresh_from_db()
    assert referred.status == ConnectionStatus.REFERRED


def test_a_proposal_cannot_be_accepted(proposed, prys):
    with pytest.raises(InvalidTransition):
        services.connection_accept(connection=proposed, actor=prys)


def test_prys_declines_at_capacity_and_llinos_is_told(referred, prys, link_worker):
    connection = services.connection_decline(
        connection=referred, actor=prys, reason=DeclineReason.AT_CAPACITY
    )
    assert connection.status == ConnectionStatus.DECLINED
    assert connection.decline_reason == DeclineReason.AT_CAPACITY
    note = Notification.objects.get(recipient=link_worker)
    assert "declined the referral" in note.message and "At capacity" in note.message


@pytest.mark.parametrize("reason", ["", "no_response", "bored"])
def test_a_decline_needs_a_reason_prys_may_give(referred, prys, reason):
    with pytest.raises(ValidationError) as error:
        services.connection_decline(connection=referred, actor=prys, reason=reason)
    assert list(error.value.field_errors) == ["reason"]
    referred.refresh_from_db()
    assert referred.status == ConnectionStatus.REFERRED


def test_other_needs_details(referred, prys):
    with pytest.raises(ValidationError) as error:
        services.connection_decline(connection=referred, actor=prys, reason="other")
    assert list(error.value.field_errors) == ["details"]


def test_rhodri_cannot_decline(referred, rhodri):
    with pytest.raises(Refused):
        services.connection_decline(connection=referred, actor=rhodri, reason="at_capacity")


def test_prys_records_attending_then_completed(referred, prys, link_worker):
    services.connection_accept(connection=referred, actor=prys)
    attending = services.connection_record_attendance(
        connection=referred, actor=prys, attendance="attending"
    )
    assert attending.attending_since is not None
    done = services.connection_record_attendance(
        connection=referred, actor=prys, attendance="completed"
    )
    assert done.status == ConnectionStatus.COMPLETED and done.ended_at is not None
    assert Notification.objects.filter(recipient=link_worker).count() == 3


def test_attendance_before_acceptance_is_refused(referred, prys):
    with pytest.raises(InvalidTransition):
        services.connection_record_attendance(
            connection=referred, actor=prys, attendance="attending"
        )


def test_attendance_must_be_one_of_three(referred, prys):
    with pytest.raises(ValidationError) as error:
        services.connection_record_attendance(
            connection=referred, actor=prys, attendance="declined"
        )
    assert list(error.value.field_errors) == ["attendance"]


def test_rhodri_cannot_record_attendance(referred, prys, rhodri):
    services.connection_accept(connection=referred, actor=prys)
    with pytest.raises(Refused):
        services.connection_record_attendance(
            connection=referred, actor=rhodri, attendance="attending"
        )


def test_llinos_stops_a_referral_and_prys_is_told(referred, link_worker, prys):
    stopped = services.connection_stop(connection=referred, actor=link_worker, reason="Moved")
    assert stopped.status == ConnectionStatus.STOPPED and stopped.stop_reason == "Moved"
    assert "stopped a referral" in Notification.objects.get(recipient=prys).message


def test_a_stop_needs_a_reason(referred, link_worker):
    with pytest.raises(ValidationError) as error:
        services.connection_stop(connection=referred, actor=link_worker, reason=" ")
    assert list(error.value.field_errors) == ["reason"]


def test_prys_cannot_stop(referred, prys):
    # He sees the connection, so he is told why (409), not shown a 404.
    with pytest.raises(InvalidTransition, match="Only the link worker holding this case"):
        services.connection_stop(connection=referred, actor=prys, reason="No")


def test_a_declined_connection_cannot_stop(referred, prys, link_worker):
    services.connection_decline(connection=referred, actor=prys, reason="not_suitable")
    with pytest.raises(InvalidTransition):
        services.connection_stop(connection=referred, actor=link_worker, reason="No")


def test_llinos_records_an_unmet_need(in_progress, link_worker):
    term = TaxonomyTermFactory(name="Men's groups")
    need = services.unmet_need_record(
        referral=in_progress, actor=link_worker, category=term, notes="Nothing within 10 miles"
    )
    assert need.category == term
    assert "Unmet need: Men's groups." in _events(in_progress)[0].note


def test_an_unmet_need_needs_a_category(in_progress, link_worker):
    with pytest.raises(ValidationError) as error:
        services.unmet_need_record(referral=in_progress, actor=link_worker, category=None)
    assert list(error.value.field_errors) == ["category"]
    assert not UnmetNeed.objects.exists()


def test_dafydd_cannot_record_an_unmet_need(in_progress, other_link_worker):
    with pytest.raises(Refused):
        services.unmet_need_record(
            referral=in_progress, actor=other_link_worker, category=TaxonomyTermFactory()
        )


def test_reply_time_and_acceptance_are_stored_on_the_service(referred, prys, link_worker):
    referred.referred_at = timezone.now() - timezone.timedelta(days=4)
    referred.save()
    services.connection_accept(connection=referred, actor=prys)
    other = services.connection_propose(
        referral=referred.referral, actor=link_worker, service=ServiceFactory()
    )
    assert other.service.usual_reply_days is None
    gardening = referred.service
    gardening.refresh_from_db()
    assert gardening.usual_reply_days == 4
    assert str(gardening.accepted_share) == "1.000"


def test_the_share_counts_declines(referred, prys, link_worker, gardening):
    services.connection_decline(connection=referred, actor=prys, reason="at_capacity")
    second = services.connection_propose(
        referral=referred.referral, actor=link_worker, service=gardening
    )
    services.connection_refer(connection=second, actor=link_worker)
    services.connection_accept(connection=second, actor=prys)
    gardening.refresh_from_db()
    assert str(gardening.accepted_share) == "0.500"
    assert gardening.usual_reply_days == 0


def _answered(case, service, referred, answered):
    """A referral to `service` answered, both times given in UTC."""
    ConnectionFactory(
        referral=case, service=service, status=ConnectionStatus.ACCEPTED,
        referred_at=datetime(*referred, tzinfo=UTC), answered_at=datetime(*answered, tzinfo=UTC),
    )  # fmt: skip


NOW = datetime(2026, 6, 12, 12, tzinfo=UTC)


def test_a_reply_the_next_morning_took_a_day_not_0_days(in_progress, gardening):
    # Referred at 23:30 on 9 June (UK summer time), answered at 08:00 on the 10th: 8½ hours.
    _answered(in_progress, gardening, (2026, 6, 9, 22, 30), (2026, 6, 10, 7, 0))
    assert service_referral_stats(gardening.pk, now=NOW)[0] == 1


def test_a_reply_on_the_day_of_the_referral_took_0_days(in_progress, gardening):
    _answered(in_progress, gardening, (2026, 6, 10, 7, 0), (2026, 6, 10, 20, 0))
    assert service_referral_stats(gardening.pk, now=NOW)[0] == 0


def test_the_middle_of_an_even_count_is_rounded_up(in_progress, gardening):
    _answered(in_progress, gardening, (2026, 6, 10, 7, 0), (2026, 6, 10, 9, 0))  # 0 days
    _answered(in_progress, gardening, (2026, 6, 8, 9, 0), (2026, 6, 9, 9, 0))  # 1 day
    assert service_referral_stats(gardening.pk, now=NOW)[0] == 1
