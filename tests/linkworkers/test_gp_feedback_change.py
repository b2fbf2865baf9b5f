"""Glenys tells Llinos she wants only coded events to go back to her GP; Llinos records it.

The form is on the case overview, for Llinos (who holds the case) and Carys
(who coordinates the scheme). Everyone else is answered 404, as if the case
were not there.
"""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from referrals.models import GPFeedback, ReferralEvent

pytestmark = pytest.mark.django_db

EVERYONE = ["link_worker", "other_link_worker", "coordinator", "referrer", "outsider_referrer",
            "outsider_coordinator", "provider", "commissioner", "peer_navigator",
            "other_peer_navigator"]  # fmt: skip


def _post(client, case, **data):
    body = {"gp_feedback": "coded_only", "version": str(case.version), **data}
    return client.post(reverse("linkworkers:gp_feedback", args=[case.uuid]), body)


@pytest.mark.parametrize("who", ["link_worker", "coordinator"])
def test_the_case_overview_offers_the_choice(client, people, case, who):
    client.force_login(people[who])
    response = client.get(reverse("linkworkers:case", args=[case.uuid]))
    html = response.content.decode()
    assert 'data-testid="gp-feedback"' in html
    assert reverse("linkworkers:gp_feedback", args=[case.uuid]) in html
    assert "choice now: <strong>Everything, including a summary</strong>" in html
    assert response.context["gp_feedback_form"].initial == {
        "gp_feedback": "everything", "version": case.version,
    }  # fmt: skip


def test_llinos_records_glenys_s_new_choice(client, link_worker, case):
    client.force_login(link_worker)
    response = _post(client, case)
    assert response.status_code == 302
    assert response.url == reverse("linkworkers:case", args=[case.uuid])
    case.refresh_from_db()
    assert (case.gp_feedback, case.version) == (GPFeedback.CODED_ONLY, 4)
    event = ReferralEvent.objects.get(referral=case, kind=ReferralEvent.Kind.CONSENT)
    assert (event.actor, event.visible_to_referrer) == (link_worker, False)
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (audit.actor, audit.detail) == (link_worker, "gp_feedback: everything -> coded_only")
    assert audit.path == reverse("linkworkers:gp_feedback", args=[case.uuid])
    page = client.get(response.url).content.decode()
    assert "Recorded: from now on, what may go back to their GP is “Coded events only”." in page
    assert "the closure summary and every note stay with the scheme" in page


def test_the_referral_page_shows_who_changed_it_and_when(client, coordinator, case):
    client.force_login(coordinator)
    _post(client, case)
    html = client.get(reverse("referrals:detail", args=[case.uuid])).content.decode()
    assert "Consent changed" in html
    assert "changed from “Everything, including a summary” to “Coded events only”." in html


def test_a_choice_made_on_an_out_of_date_page_is_refused(client, link_worker, case):
    client.force_login(link_worker)
    response = _post(client, case, version=str(case.version - 1))
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "changed by someone else while you were looking at it" in page
    case.refresh_from_db()
    assert (case.gp_feedback, case.version) == (GPFeedback.EVERYTHING, 3)
    assert not ReferralEvent.objects.filter(kind=ReferralEvent.Kind.CONSENT).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"gp_feedback": "nothing"}, "gp_feedback",
         "Select a valid choice. nothing is not one of the available choices."),
        ({"gp_feedback": "everything"}, "gp_feedback", "That is already the person's choice."),
        ({"version": ""}, "version", "This field is required."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_by_name_and_changes_nothing(
    client, link_worker, case, data, field, message
):
    client.force_login(link_worker)
    response = _post(client, case, **data)
    assert response.status_code == 400
    assert response.context["gp_feedback_form"].errors[field] == [message]
    case.refresh_from_db()
    assert (case.gp_feedback, case.version) == (GPFeedback.EVERYTHING, 3)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_it_takes_only_post(client, link_worker, case):
    client.force_login(link_worker)
    url = reverse("linkworkers:gp_feedback", args=[case.uuid])
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("who", EVERYONE)
def test_only_llinos_and_carys_may_record_it(
    client, people, peer_navigator, other_peer_navigator, attached, case, who
):
    everyone = {
        **people, "peer_navigator": peer_navigator, "other_peer_navigator": other_peer_navigator,
    }  # fmt: skip
    client.force_login(everyone[who])
    response = _post(client, case)
    allowed = who in {"link_worker", "coordinator"}
    assert response.status_code == (302 if allowed else 404)
    case.refresh_from_db()
    assert case.gp_feedback == (GPFeedback.CODED_ONLY if allowed else GPFeedback.EVERYTHING)


def test_a_closed_case_s_close_page_says_the_summary_stays_with_the_scheme(
    client, link_worker, case
):
    from linkworkers.services import case_close
    from referrals.services import referral_start

    case.gp_feedback = GPFeedback.CODED_ONLY
    case.save()
    case = referral_start(referral=case, actor=link_worker)
    case_close(
        referral=case, actor=link_worker, reason="completed", expected_version=case.version,
        what_mattered="Singing again.", follow_up="None needed.",
    )  # fmt: skip
    client.force_login(link_worker)
    html = client.get(reverse("linkworkers:close", args=[case.uuid])).content.decode()
    assert "Closure summary, kept by the scheme" in html
    assert "Singing again." in html  # the scheme still reads it
