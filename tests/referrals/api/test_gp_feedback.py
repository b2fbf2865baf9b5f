"""Afon EMIS reads what Glenys agreed may go back to her GP, and nothing more.

With "everything" the partner system gets the closure summary and the
scheme's notes; with "coded events only" it gets the status, dates and codes,
with closure_summary and suggested_alternative null, as the schema says.
"""

import pytest
import yaml

from linkworkers.services import case_close, referral_allocate
from referrals import services
from referrals.models import GPFeedback, Referral

pytestmark = pytest.mark.django_db

PARTS = {
    "what_mattered": "Singing in the chapel choir again.",
    "connected_to": "Teg Valley community choir, Tuesdays.",
    "follow_up": "Review her low mood at the next appointment.",
}
WORDS = ["chapel choir", "community choir", "low mood", "Allocated to", "Lives alone"]


def _detail(referral):
    return f"/api/v1/referrals/{referral.uuid}/"


@pytest.fixture
def closed_case(referral, coordinator, link_worker):
    def make(gp_feedback):
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

    return make


def test_with_everything_the_summary_comes_back(afon_emis, closed_case):
    case = closed_case(GPFeedback.EVERYTHING)
    body = afon_emis.get(_detail(case)).json()
    assert body["gp_feedback"] == "everything"
    assert "Teg Valley community choir, Tuesdays." in body["closure_summary"]
    assert body["timeline"][-1]["note"] == body["closure_summary"]
    assert body["timeline"][1]["note"] == "Allocated to Llinos Watkins."


def test_with_coded_events_only_no_words_come_back(afon_emis, closed_case):
    case = closed_case(GPFeedback.CODED_ONLY)
    response = afon_emis.get(_detail(case))
    assert response.status_code == 200
    for words in WORDS:
        assert words not in response.content.decode(), words
    body = response.json()
    assert (body["gp_feedback"], body["status"], body["closure_reason"]) == (
        "coded_only", "closed", "completed",
    )  # fmt: skip
    assert body["closure_summary"] is None and body["suggested_alternative"] is None
    assert body["closed_at"]
    assert [(e["to_status"], e["note"]) for e in body["timeline"]] == [
        ("accepted", ""), ("allocated", ""), ("in_progress", ""), ("closed", ""),
    ]  # fmt: skip


def test_a_rejection_s_suggestion_is_null_with_coded_events_only(afon_emis, referral, coordinator):
    Referral.objects.filter(pk=referral.pk).update(gp_feedback=GPFeedback.CODED_ONLY)
    referral.refresh_from_db()
    services.referral_reject(
        referral=referral, actor=coordinator, reason="needs_clinical",
        suggested_alternative="The practice mental health nurse.",
    )  # fmt: skip
    response = afon_emis.get(_detail(referral))
    assert "mental health nurse" not in response.content.decode()
    body = response.json()
    assert (body["rejection_reason"], body["suggested_alternative"]) == ("needs_clinical", None)


def test_the_list_never_carried_words(afon_emis, closed_case):
    closed_case(GPFeedback.EVERYTHING)
    text = afon_emis.get("/api/v1/referrals/").content.decode()
    assert "community choir" not in text


def test_the_schema_says_what_coded_events_only_withholds(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    detail = schema["components"]["schemas"]["ReferralDetailOutput"]["properties"]
    for name in ("closure_summary", "suggested_alternative"):
        assert detail[name]["type"] == "string" and detail[name]["nullable"] is True
        assert "Null when gp_feedback is coded_only" in detail[name]["description"]
    assert "coded_only" in detail["gp_feedback"]["description"]
    note = schema["components"]["schemas"]["TimelineEventOutput"]["properties"]["note"]
    assert "Empty when gp_feedback is coded_only" in note["description"]
