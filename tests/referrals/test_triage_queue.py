"""Carys searches and filters the triage queue; its order is a stored rank the lifecycle keeps."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from linkworkers.services import referral_allocate
from referrals import services
from referrals.models import TRANSITIONS, Referral, Status, Urgency, triage_rank_for
from tests.factories import OrganisationFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

TRIAGE = reverse("referrals:triage")
# The queue's order, as a table: received before accepted, urgent before routine.
EXPECTED_RANK = {
    (Status.RECEIVED, Urgency.URGENT): 0,
    (Status.RECEIVED, Urgency.ROUTINE): 1,
    (Status.ACCEPTED, Urgency.URGENT): 2,
    (Status.ACCEPTED, Urgency.ROUTINE): 3,
}


def _queue(client, **params):
    response = client.get(TRIAGE, params)
    assert response.status_code == 200
    return response


def _references(response):
    return [referral.reference for referral, _days in response.context["rows"]]


# The rank -------------------------------------------------------------------


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("urgency", Urgency.values)
def test_the_rank_follows_status_and_urgency(status, urgency):
    assert triage_rank_for(status, urgency) == EXPECTED_RANK.get((status, urgency))


@pytest.mark.parametrize(("from_status", "to_status"), sorted(TRANSITIONS))
@pytest.mark.parametrize("urgency", Urgency.values)
def test_every_move_through_the_door_keeps_the_rank(
    referral, people, from_status, to_status, urgency
):
    """Whatever the rank was before (even wrong), the move leaves the one for the new status."""
    referral.status, referral.urgency, referral.triage_rank = from_status, urgency, 99
    if from_status not in (Status.RECEIVED, Status.ACCEPTED, Status.REJECTED, Status.CANCELLED):
        referral.link_worker = people["link_worker"]
    referral.closed_at = timezone.now() - timedelta(days=3)
    referral.save()
    role = next(iter(TRANSITIONS[(from_status, to_status)]))
    actor = {"coordinator": people["coordinator"], "link_worker": people["link_worker"],
             "referrer": people["referrer"]}[role]  # fmt: skip
    changes = {"link_worker": people["link_worker"]} if to_status == Status.ALLOCATED else {}
    services.referral_transition(
        referral=referral, actor=actor, to_status=to_status, changes=changes
    )
    referral.refresh_from_db()
    assert referral.triage_rank == EXPECTED_RANK.get((to_status, urgency))


def test_a_refused_move_leaves_the_rank_alone(referral, people):
    from core.exceptions import InvalidTransition

    with pytest.raises(InvalidTransition):
        services.referral_transition(
            referral=referral, actor=people["coordinator"], to_status=Status.CLOSED
        )
    referral.refresh_from_db()
    assert referral.triage_rank == 1


def test_the_rank_along_a_whole_case(referral, coordinator, link_worker):
    """Through each use case's own service: in the queue, out of it, never back."""
    ranks = [Referral.objects.get(pk=referral.pk).triage_rank]
    referral = services.referral_accept(referral=referral, actor=coordinator)
    ranks.append(referral.triage_rank)
    referral = referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    ranks.append(referral.triage_rank)
    referral = services.referral_start(referral=referral, actor=link_worker)
    referral = services.referral_hold(
        referral=referral, actor=link_worker, review_date=timezone.localdate()
    )
    ranks.append(referral.triage_rank)
    referral = services.referral_resume(referral=referral, actor=link_worker)
    referral = services.referral_close(
        referral=referral, actor=link_worker, reason="completed", summary="Joined a choir."
    )
    ranks.append(referral.triage_rank)
    referral = services.referral_reopen(referral=referral, actor=link_worker)
    ranks.append(Referral.objects.get(pk=referral.pk).triage_rank)
    assert ranks == [1, 3, None, None, None, None]


def test_a_new_urgent_referral_comes_in_at_the_top(scheme, gp_receptionist, cluster):
    person = PersonFactory.build()
    referral = services.referral_create(
        person_details={
            "given_name": "Aled", "family_name": "Jones", "date_of_birth": person.date_of_birth,
            "postcode": "CF10 1AA", "phone": "07700 900123",
        },
        referral_details={
            "reasons": ["loneliness"], "what_matters": "Company.", "urgency": Urgency.URGENT,
            "consent_to_referral": True, "consent_to_share": True,
        },
        actor=gp_receptionist,
        scheme=scheme,
    )  # fmt: skip
    assert Referral.objects.get(pk=referral.pk).triage_rank == 0


def test_rejected_and_cancelled_leave_the_queue(referral, coordinator, gp_receptionist, scheme):
    other = ReferralFactory(scheme=scheme, referring_organisation=referral.referring_organisation)
    services.referral_reject(
        referral=referral, actor=coordinator, reason="other", suggested_alternative="Mind"
    )
    services.referral_cancel(referral=other, actor=gp_receptionist)
    assert list(Referral.objects.filter(pk__in=[referral.pk, other.pk]).values_list(
        "triage_rank", flat=True)) == [None, None]  # fmt: skip


def test_the_demo_keeps_every_rank_right(demo_data):
    wrong = [
        referral.reference
        for referral in Referral.objects.only("reference", "status", "urgency", "triage_rank")
        if referral.triage_rank != triage_rank_for(referral.status, referral.urgency)
    ]
    assert wrong == []


# The page: days waiting, search and filters -----------------------------------


def test_each_row_says_how_many_days_it_has_waited(client, coordinator, scheme):
    now = timezone.now()
    ReferralFactory(scheme=scheme, received_at=now - timedelta(days=12), reference="SP-OLD001")
    ReferralFactory(scheme=scheme, received_at=now, reference="SP-NEW001")
    client.force_login(coordinator)
    rows = _queue(client).context["rows"]
    assert [(referral.reference, days) for referral, days in rows] == [
        ("SP-OLD001", 12), ("SP-NEW001", 0),
    ]  # fmt: skip


def test_she_finds_a_person_by_name_reference_or_nhs_number(client, coordinator, referral, scheme):
    ReferralFactory(scheme=scheme, person__given_name="Aled", person__family_name="Jones")
    client.force_login(coordinator)
    assert _references(_queue(client, q="glen prit")) == [referral.reference]
    assert _references(_queue(client, q=referral.reference.lower())) == [referral.reference]
    number = referral.person.nhs_number
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert _references(_queue(client, q=spaced)) == [referral.reference]
    # Digits typed in another script are the same number.
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in number)
    assert _references(_queue(client, q=full_width)) == [referral.reference]
    assert _references(_queue(client, q="nobody")) == []


def test_the_search_stays_within_the_queue_and_the_scheme(
    client, coordinator, referral, scheme, outsider_coordinator
):
    ReferralFactory(
        scheme=outsider_coordinator.organisation, person__given_name="Glenys",
        person__family_name="Pritchard",
    )  # fmt: skip
    ReferralFactory(
        scheme=scheme, status=Status.REJECTED, person__given_name="Glenys",
        person__family_name="Pritchard",
    )  # fmt: skip
    client.force_login(coordinator)
    assert _references(_queue(client, q="Glenys")) == [referral.reference]


def test_she_filters_by_urgency_source_stage_reason_and_organisation(
    client, coordinator, referral, scheme
):
    urgent = ReferralFactory(scheme=scheme, urgency=Urgency.URGENT, reasons=["money"])
    self_referral = ReferralFactory(
        scheme=scheme, source_kind="self", referring_organisation=None, referring_user=None
    )
    accepted = ReferralFactory(scheme=scheme, status=Status.ACCEPTED, reasons=["housing", "money"])
    client.force_login(coordinator)
    assert _references(_queue(client, urgency="urgent")) == [urgent.reference]
    assert _references(_queue(client, source_kind="self")) == [self_referral.reference]
    assert _references(_queue(client, status="accepted")) == [accepted.reference]
    assert _references(_queue(client, reason="money")) == [urgent.reference, accepted.reference]
    practice = referral.referring_organisation
    assert _references(_queue(client, practice=str(practice.uuid))) == [referral.reference]


def test_she_finds_those_waiting_longer_than_n_days(client, coordinator, scheme):
    now = timezone.now()
    ReferralFactory(scheme=scheme, received_at=now - timedelta(days=15), reference="SP-WAIT15")
    ReferralFactory(scheme=scheme, received_at=now - timedelta(days=14), reference="SP-WAIT14")
    ReferralFactory(scheme=scheme, received_at=now - timedelta(days=3), reference="SP-WAIT03")
    client.force_login(coordinator)
    assert _references(_queue(client, waiting_over=14)) == ["SP-WAIT15"]
    assert _references(_queue(client, waiting_over=0)) == ["SP-WAIT15", "SP-WAIT14", "SP-WAIT03"]


def test_the_organisation_choices_are_those_that_referred_to_her_scheme(
    client, coordinator, referral, outsider_coordinator
):
    elsewhere = OrganisationFactory(name="Bryn Medical Centre")
    ReferralFactory(scheme=outsider_coordinator.organisation, referring_organisation=elsewhere)
    client.force_login(coordinator)
    choices = _queue(client).context["filters"].fields["practice"].queryset
    assert list(choices) == [referral.referring_organisation]
    # Another scheme's practice is refused on the field, and the queue is not narrowed by it.
    response = _queue(client, practice=str(elsewhere.uuid))
    assert "practice" in response.context["filters"].errors
    assert _references(response) == [referral.reference]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("waiting_over", "-1"), ("waiting_over", "2.5"), ("waiting_over", "9" * 30),
        ("waiting_over", "٣"), ("urgency", "panic"), ("source_kind", "x"), ("reason", "'; --"),
        ("status", "closed"), ("practice", "not-a-uuid"), ("q", "x" * 500),
    ],
)  # fmt: skip
def test_bad_values_name_the_field_and_never_fail(client, coordinator, referral, field, value):
    client.force_login(coordinator)
    response = _queue(client, **{field: value})
    if field == "waiting_over" and value == "٣":
        # Arabic-Indic three is a number of days: Django reads it as 3.
        assert _references(response) == []
        return
    assert field in response.context["filters"].errors
    assert _references(response) == [referral.reference]


def test_hostile_search_text_is_only_text(client, coordinator, referral):
    client.force_login(coordinator)
    for text in ["%", "_", "\\", "' OR 1=1 --", "SP-%", "\x00", "Glenys\u200b"]:
        assert client.get(TRIAGE, {"q": text}).status_code in (200,), text


def test_only_coordinators_see_the_queue(client, people):
    for name in ["referrer", "link_worker", "provider", "commissioner"]:
        client.force_login(people[name])
        assert client.get(TRIAGE).status_code == 403, name


def test_another_schemes_coordinator_sees_none_of_hers(client, referral, outsider_coordinator):
    client.force_login(outsider_coordinator)
    assert _references(_queue(client, q="Glenys")) == []
    assert _references(_queue(client)) == []


def test_the_page_takes_the_same_queries_however_long_the_queue(
    client, coordinator, scheme, django_assert_max_num_queries
):
    ReferralFactory.create_batch(2, scheme=scheme)
    client.force_login(coordinator)
    params = {"urgency": "routine", "q": "a", "waiting_over": "0"}
    with django_assert_max_num_queries(40) as few:
        _queue(client, **params)
    ReferralFactory.create_batch(20, scheme=scheme)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _queue(client, **params)
