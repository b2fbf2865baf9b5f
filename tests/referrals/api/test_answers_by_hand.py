"""The partner API writes its answers by hand (issue 18, point 9): byte for byte what the
serializers that describe them in the schema would have written, for every shape of referral.
"""

import pytest
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from linkworkers.services import case_close, referral_allocate
from referrals import selectors, services
from referrals.api.serializers import (
    ReferralDetailOutputSerializer,
    ReferralOutputSerializer,
    referral_answer,
    referral_detail_answer,
)
from referrals.models import GPFeedback, Referral
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

PARTS = {
    "what_mattered": "Singing in the chapel choir again.",
    "connected_to": "Teg Valley community choir, Tuesdays.",
    "follow_up": "Review her low mood at the next appointment.",
}


def _rendered(data) -> bytes:
    return JSONRenderer().render(data)


def _assert_detail_alike(api_client, referral):
    referral = selectors.get_referral_for_api_client(api_client, referral.uuid)
    context = {
        "timeline": selectors.referrer_timeline_for_api(referral),
        "feedback_text": selectors.referrer_feedback_text(referral),
    }
    by_hand = referral_detail_answer(referral, **context)
    assert _rendered(by_hand) == _rendered(
        ReferralDetailOutputSerializer(referral, context=context).data
    )
    return by_hand


def _closed(referral, coordinator, link_worker, gp_feedback):
    Referral.objects.filter(pk=referral.pk).update(gp_feedback=gp_feedback)
    referral.refresh_from_db()
    case = services.referral_accept(
        referral=referral, actor=coordinator, note="Lives alone; call after 10am."
    )
    case = referral_allocate(referral=case, actor=coordinator, link_worker=link_worker)
    case = services.referral_start(referral=case, actor=link_worker)
    return case_close(
        referral=case, actor=link_worker, reason="completed",
        expected_version=case.version, **PARTS,
    )  # fmt: skip


@pytest.mark.parametrize("gp_feedback", [GPFeedback.EVERYTHING, GPFeedback.CODED_ONLY])
def test_a_closed_case_reads_alike(afon_emis, referral, coordinator, link_worker, gp_feedback):
    case = _closed(referral, coordinator, link_worker, gp_feedback)
    answer = _assert_detail_alike(afon_emis.api_client, case)
    assert len(answer["timeline"]) >= 3
    assert (answer["closure_summary"] is None) == (gp_feedback == GPFeedback.CODED_ONLY)


@pytest.mark.parametrize("gp_feedback", [GPFeedback.EVERYTHING, GPFeedback.CODED_ONLY])
def test_a_rejection_reads_alike(afon_emis, referral, coordinator, gp_feedback):
    Referral.objects.filter(pk=referral.pk).update(gp_feedback=gp_feedback)
    referral.refresh_from_db()
    services.referral_reject(
        referral=referral, actor=coordinator, reason="needs_clinical",
        suggested_alternative="The practice mental health nurse.",
    )  # fmt: skip
    _assert_detail_alike(afon_emis.api_client, referral)


def test_a_new_referral_reads_alike_in_welsh_too(afon_emis, referral):
    _assert_detail_alike(afon_emis.api_client, referral)
    with translation.override("cy"):
        _assert_detail_alike(afon_emis.api_client, referral)


def test_a_referral_without_nhs_number_or_optional_words_reads_alike(afon_emis, practice, scheme):
    made = ReferralFactory(
        referring_organisation=practice, scheme=scheme, reason_other="", risk_details=""
    )
    snapshot = dict(made.person_details_as_referred)
    snapshot["nhs_number"] = None
    Referral.objects.filter(pk=made.pk).update(person_details_as_referred=snapshot)
    _assert_detail_alike(afon_emis.api_client, made)


def test_a_referral_just_made_and_a_listed_one_read_alike(
    afon_emis, referral_body, practice, scheme
):
    response = afon_emis.post("/api/v1/referrals/", referral_body)
    assert response.status_code == 201
    made = Referral.objects.get(uuid=response.json()["id"])
    # Just made: its scheme is its own row, not a name the query brought along.
    assert _rendered(referral_answer(made)) == _rendered(ReferralOutputSerializer(made).data)
    ReferralFactory.create_batch(3, referring_organisation=practice, scheme=scheme)
    rows = list(selectors.referral_list_for_api_client(afon_emis.api_client))
    assert _rendered([referral_answer(row) for row in rows]) == _rendered(
        ReferralOutputSerializer(rows, many=True).data
    )
