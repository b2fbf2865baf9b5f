"""Issue 16, point 8: Gwen prints the letter back from Glenys's closed referral.

The letter at /referrals/<uuid>/letter/ is laid out as the PRSB "Message back to GP and
referrer", scoped like the referral page, audited, and follows Glenys's choice of what may
go back to her GP (referrals.selectors.referrer_may_see_text) whoever prints it.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from linkworkers.models import ConnectionStatus
from linkworkers.services import case_close
from referrals.models import GPFeedback, Status
from tests.factories import (
    ConnectionFactory,
    InstrumentFactory,
    OutcomeMeasureFactory,
    TaxonomyTermFactory,
)

pytestmark = pytest.mark.django_db

WORDS = {
    "what_mattered": "Singing again, like in chapel.",
    "connected_to": "Went every Tuesday.",
    "outcomes": "Feels less lonely.",
    "follow_up": "Ask about the choir at her next review.",
}


@pytest.fixture
def case(case, link_worker, scheme):
    scheme.phone = "01632 960100"
    scheme.save()
    link_worker.link_worker_profile.phone = "07700 900101"
    link_worker.link_worker_profile.save()
    case.status, case.version = Status.IN_PROGRESS, 4
    case.person.nhs_number = "9434765919"
    case.person.save()
    case.person_details_as_referred = {
        **case.person_details_as_referred,
        "nhs_number": "9434765919",
    }
    case.save()
    term = TaxonomyTermFactory(name="Choirs and singing")
    connection = ConnectionFactory(referral=case, status=ConnectionStatus.ATTENDING,
                                   service__name="Tuesday Community Choir")  # fmt: skip
    connection.service.taxonomy_terms.add(term)
    instrument = InstrumentFactory(name="Loneliness (ONS)", higher_is_better=False)
    for timepoint, score in (("baseline", 9), ("closure", 5)):
        OutcomeMeasureFactory(referral=case, instrument=instrument, timepoint=timepoint,
                              raw_score=score, recorded_by=link_worker)  # fmt: skip
    return case


def _close(case, link_worker, choice):
    case.gp_feedback = choice
    case.save()
    return case_close(referral=case, actor=link_worker, reason="completed",
                      expected_version=case.version, **WORDS)  # fmt: skip


def _letter(client, case):
    return client.get(reverse("gp_letter", args=[case.uuid]))


def test_the_address_is_the_one_others_rely_on(case):
    assert reverse("gp_letter", args=[case.uuid]) == f"/referrals/{case.uuid}/letter/"


def test_with_everything_the_letter_carries_the_prsb_parts(client, case, link_worker, gp):
    _close(case, link_worker, GPFeedback.EVERYTHING)
    client.force_login(gp)
    response = _letter(client, case)
    assert response.status_code == 200
    html = response.content.decode()
    for words in WORDS.values():
        assert words in html
    assert "Tuesday Community Choir" in html and "Choirs and singing" in html
    assert "943 476 5919" in html  # the NHS number as 3-3-4
    assert "Loneliness (ONS)" in html and "−4" not in html and "-4" in html
    assert "(better)" in html  # lower is better on this instrument
    assert "07700 900101" in html and str(link_worker.get_full_name()) in html
    assert 'data-words="everything"' in html


def test_with_coded_events_only_it_carries_no_words(client, case, link_worker, gp, coordinator):
    _close(case, link_worker, GPFeedback.CODED_ONLY)
    for reader in (gp, link_worker, coordinator):
        client.force_login(reader)
        html = _letter(client, case).content.decode()
        for words in WORDS.values():
            assert words not in html, reader
        assert "Tuesday Community Choir" not in html
        # The coded facts are there: the closure reason, categories and scores, the contact.
        assert "Completed" in html and "Choirs and singing" in html and "Attending" in html
        assert "Loneliness (ONS)" in html and "07700 900101" in html
        assert 'data-words="coded"' in html


def test_the_scheme_number_stands_in_for_a_worker_without_one(client, case, link_worker, gp):
    link_worker.link_worker_profile.phone = ""
    link_worker.link_worker_profile.save()
    _close(case, link_worker, GPFeedback.EVERYTHING)
    client.force_login(gp)
    html = _letter(client, case).content.decode()
    assert "Scheme phone: 01632 960100" in html


def test_each_opening_is_audited(client, case, link_worker, gp):
    _close(case, link_worker, GPFeedback.EVERYTHING)
    client.force_login(gp)
    _letter(client, case)
    row = AuditEvent.objects.filter(actor=gp, action=AuditEvent.Action.VIEW).latest("pk")
    assert case.reference in row.detail or case.reference in str(row.records)
    assert "GP letter" in row.detail


@pytest.mark.parametrize("who", ["outsider_referrer", "outsider_coordinator", "other_link_worker",
                                 "provider_user", "commissioner"])  # fmt: skip
def test_anyone_who_may_not_see_the_referral_gets_404(client, case, link_worker, who, request):
    _close(case, link_worker, GPFeedback.EVERYTHING)
    client.force_login(request.getfixturevalue(who))
    assert _letter(client, case).status_code == 404


def test_an_open_referral_has_no_letter(client, case, gp):
    client.force_login(gp)
    assert _letter(client, case).status_code == 404


def test_signed_out_it_asks_to_sign_in(client, case, link_worker):
    _close(case, link_worker, GPFeedback.EVERYTHING)
    assert _letter(client, case).status_code == 302


def test_the_referral_page_shows_the_summary_once_at_the_top(client, case, link_worker, gp):
    _close(case, link_worker, GPFeedback.EVERYTHING)
    client.force_login(gp)
    html = client.get(reverse("referrals:detail", args=[case.uuid])).content.decode()
    assert html.count(WORDS["follow_up"]) == 1
    assert html.index('data-testid="closure"') < html.index('data-testid="timeline"')
    assert 'data-testid="summary-above"' in html
    assert reverse("gp_letter", args=[case.uuid]) in html


def test_queries_do_not_grow_with_connections_and_measures(
    client, case, link_worker, gp, django_assert_max_num_queries
):
    _close(case, link_worker, GPFeedback.EVERYTHING)
    client.force_login(gp)
    with django_assert_max_num_queries(30) as few:
        _letter(client, case)
    for _n in range(5):
        ConnectionFactory(referral=case, status=ConnectionStatus.COMPLETED,
                          ended_at=timezone.now())  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        _letter(client, case)


def test_a_closure_without_parts_shows_its_summary_when_words_may_go(client, case, gp, coordinator):
    case.status, case.closed_at, case.closure_reason = Status.CLOSED, timezone.now(), "completed"
    case.closure_summary = "Went to the choir; feels brighter."
    case.gp_feedback = GPFeedback.EVERYTHING
    case.save()
    client.force_login(gp)
    assert "Went to the choir; feels brighter." in _letter(client, case).content.decode()
    case.gp_feedback = GPFeedback.CODED_ONLY
    case.save()
    for reader in (gp, coordinator):
        client.force_login(reader)
        assert "Went to the choir" not in _letter(client, case).content.decode()
