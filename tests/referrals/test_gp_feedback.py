"""Glenys chose what may go back to her GP; every channel to Rhian (the referrer) follows it.

With "everything" Rhian reads the scheme's words: the closure summary, the
suggested alternative of a rejection, the notes on the timeline. With "coded
events only" she gets the status, the dates, the coded reasons and events,
never those words, on the referral page, in the email and the notification.
Carys (the coordinator) and Llinos (the link worker) still read them all.
Glenys may change her mind: Llinos or Carys records it, and it applies from
then on.
"""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent
from core.exceptions import InvalidTransition, Refused, StaleVersion, ValidationError
from core.models import OutboxEmail
from linkworkers.services import case_close, referral_allocate
from referrals import selectors, services
from referrals.models import GPFeedback, Notification, Referral, ReferralEvent, Status

pytestmark = pytest.mark.django_db

PARTS = {
    "what_mattered": "Singing in the chapel choir again.",
    "connected_to": "Teg Valley community choir, Tuesdays.",
    "outcomes": "Feels less alone since her husband died.",
    "follow_up": "Review her low mood at the next appointment.",
}
# Words only the scheme wrote: none of them may reach Rhian with "coded events only".
WORDS = [
    "chapel choir",
    "community choir",
    "husband died",
    "low mood at the next",
    "Allocated to",
]
ALTERNATIVE = "The practice mental health nurse, then Local Mind."


def choose(referral, gp_feedback):
    Referral.objects.filter(pk=referral.pk).update(gp_feedback=gp_feedback)
    referral.refresh_from_db()
    return referral


def in_progress(referral, coordinator, link_worker):
    referral = services.referral_accept(referral=referral, actor=coordinator)
    referral = referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    return services.referral_start(referral=referral, actor=link_worker)


def close(referral, link_worker):
    """Llinos closes the case with the PRSB message back, written in its parts."""
    return case_close(
        referral=referral, actor=link_worker, reason="completed",
        expected_version=referral.version, **PARTS,
    )  # fmt: skip


@pytest.fixture
def closed_case(referral, coordinator, link_worker, django_capture_on_commit_callbacks):
    """Glenys's referral, closed by Llinos; the choice is set before anything is sent."""

    def make(gp_feedback):
        choose(referral, gp_feedback)
        with django_capture_on_commit_callbacks(execute=True):
            case = close(in_progress(referral, coordinator, link_worker), link_worker)
        return case

    return make


def page_of(client, user, referral):
    client.force_login(user)
    response = client.get(reverse("referrals:detail", args=[referral.uuid]))
    assert response.status_code == 200
    return response.content.decode()


def assert_no_words(text):
    for words in WORDS + [ALTERNATIVE]:
        assert words not in text, words


# The one decision ------------------------------------------------------------


def test_only_everything_lets_the_words_through(referral):
    assert selectors.referrer_may_see_text(choose(referral, GPFeedback.EVERYTHING))
    assert not selectors.referrer_may_see_text(choose(referral, GPFeedback.CODED_ONLY))
    # A value nobody knows fails closed.
    assert not selectors.referrer_may_see_text(choose(referral, "whatever"))


# The referral page -----------------------------------------------------------


def test_with_everything_rhian_reads_the_summary_on_the_page(client, closed_case, gp_receptionist):
    case = closed_case(GPFeedback.EVERYTHING)
    html = page_of(client, gp_receptionist, case)
    assert 'data-testid="closure-summary"' in html
    assert "Teg Valley community choir, Tuesdays." in html
    assert "Review her low mood at the next appointment." in html


def test_with_coded_events_only_the_page_has_the_status_and_reason_but_no_words(
    client, closed_case, gp_receptionist
):
    case = closed_case(GPFeedback.CODED_ONLY)
    html = page_of(client, gp_receptionist, case)
    assert_no_words(html)
    assert 'data-testid="closure-summary"' not in html
    assert 'data-testid="text-withheld"' in html
    assert "only coded events go back to their GP" in html
    assert 'data-testid="status">Closed</span>' in html
    assert "Completed" in html  # the closure reason, a code
    assert "Coded events only" in html
    # The timeline still has every status change; the scheme's words are marked as withheld.
    assert html.count("Status: ") == 4  # accepted, allocated, in progress, closed
    assert "Words not shared: the person asked for coded events only." in html


@pytest.mark.parametrize("who", ["coordinator", "link_worker"])
def test_the_scheme_still_reads_every_word(client, closed_case, people, who):
    case = closed_case(GPFeedback.CODED_ONLY)
    html = page_of(client, people[who], case)
    assert "Teg Valley community choir, Tuesdays." in html
    assert "Allocated to Llinos Watkins." in html
    assert "the summary and notes below are for the scheme only" in html  # and is told so


def test_rhian_keeps_her_own_words_on_the_timeline(client, referral, gp_receptionist):
    choose(referral, GPFeedback.CODED_ONLY)
    services.referral_cancel(
        referral=referral, actor=gp_receptionist, reason="Moved to another practice."
    )
    html = page_of(client, gp_receptionist, referral)
    assert "Moved to another practice." in html
    events = list(selectors.referrer_timeline(referral))
    assert [(e.shown_note, e.note_withheld) for e in events] == [
        ("Moved to another practice.", False)
    ]


def test_a_rejection_s_suggestion_follows_the_choice(
    client, referral, coordinator, gp_receptionist
):
    services.referral_reject(
        referral=referral, actor=coordinator, reason="needs_clinical",
        suggested_alternative=ALTERNATIVE,
    )  # fmt: skip
    assert ALTERNATIVE in page_of(client, gp_receptionist, referral)
    choose(referral, GPFeedback.CODED_ONLY)
    html = page_of(client, gp_receptionist, referral)
    assert ALTERNATIVE not in html
    assert "Needs clinical or statutory support first" in html


def test_without_a_referring_organisation_every_word_is_the_schemes(referral, coordinator):
    """No referring organisation: every word is the scheme's, so all are withheld."""
    services.referral_reject(
        referral=referral, actor=coordinator, reason="other", suggested_alternative=ALTERNATIVE
    )
    Referral.objects.filter(pk=referral.pk).update(
        source_kind="self", referring_organisation=None, referring_user=None,
        gp_feedback=GPFeedback.CODED_ONLY,
    )  # fmt: skip
    referral.refresh_from_db()
    assert [(e.shown_note, e.note_withheld) for e in selectors.referrer_timeline(referral)] == [
        ("", True)
    ]


# The feedback email and the notification -------------------------------------


def test_with_everything_the_closure_email_carries_the_summary(closed_case):
    closed_case(GPFeedback.EVERYTHING)
    email = mail.outbox[-1]
    assert "Closure reason: Completed" in email.body
    assert "Teg Valley community choir, Tuesdays." in email.body
    assert "Teg Valley community choir, Tuesdays." in email.alternatives[0][0]


def test_with_coded_events_only_no_email_or_notification_carries_the_words(closed_case):
    case = closed_case(GPFeedback.CODED_ONLY)
    # accepted, first contact, closed (and the link worker's news of the allocation)
    assert [m.to for m in mail.outbox].count([case.referring_user.email]) == 3
    closure = mail.outbox[-1]
    assert "Closure reason: Completed" in closure.body
    assert "has been closed" in closure.body
    assert "only coded events go back to their GP" in closure.body
    for email in mail.outbox:
        assert_no_words(email.subject + email.body + email.alternatives[0][0])
    for notification in Notification.objects.all():
        assert_no_words(notification.message)


def test_a_rejection_email_keeps_the_suggestion_back_with_coded_events_only(
    referral, coordinator, django_capture_on_commit_callbacks
):
    choose(referral, GPFeedback.CODED_ONLY)
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_reject(
            referral=referral, actor=coordinator, reason="needs_clinical",
            suggested_alternative=ALTERNATIVE,
        )  # fmt: skip
    email = mail.outbox[-1]
    assert ALTERNATIVE not in email.body and ALTERNATIVE not in email.alternatives[0][0]
    assert "Reason: Needs clinical or statutory support first" in email.body


def test_with_everything_the_rejection_email_carries_the_suggestion(
    referral, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_reject(
            referral=referral, actor=coordinator, reason="needs_clinical",
            suggested_alternative=ALTERNATIVE,
        )  # fmt: skip
    assert f"Suggested alternative: {ALTERNATIVE}" in mail.outbox[-1].body


# Glenys changes her mind -----------------------------------------------------


def change(referral, actor, gp_feedback, version=None):
    return services.referral_gp_feedback_change(
        referral=referral, actor=actor, gp_feedback=gp_feedback,
        expected_version=referral.version if version is None else version,
    )  # fmt: skip


def test_the_change_is_recorded_with_who_and_when(referral, coordinator, link_worker):
    case = in_progress(referral, coordinator, link_worker)
    changed = change(case, link_worker, GPFeedback.CODED_ONLY)
    assert changed.gp_feedback == GPFeedback.CODED_ONLY
    assert changed.version == case.version + 1
    event = ReferralEvent.objects.get(referral=case, kind=ReferralEvent.Kind.CONSENT)
    assert (event.actor, event.visible_to_referrer) == (link_worker, False)
    assert event.created_at is not None
    assert event.note == (
        "What may go back to the GP changed from “Everything, including a summary” "
        "to “Coded events only”."
    )
    audit = AuditEvent.objects.get(detail__startswith="gp_feedback")
    assert (audit.actor, audit.action, audit.object_id) == (
        link_worker, AuditEvent.Action.CHANGE, str(case.uuid),
    )  # fmt: skip
    assert audit.detail == "gp_feedback: everything -> coded_only"
    # The referrer is not told of it, and never sees the event.
    assert event not in selectors.referrer_timeline(case)


def test_a_change_applies_to_later_emails_and_leaves_earlier_ones_as_sent(
    referral, coordinator, link_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = close(in_progress(referral, coordinator, link_worker), link_worker)
        case = services.referral_reopen(referral=case, actor=link_worker)
        case = change(case, link_worker, GPFeedback.CODED_ONLY)
        close(case, link_worker)
    first_closure, second_closure = OutboxEmail.objects.filter(
        subject__endswith=": Closed"
    ).order_by("pk")
    assert "Teg Valley community choir" in first_closure.body_text  # history, as sent
    assert "Teg Valley community choir" not in second_closure.body_text
    assert "Teg Valley community choir" not in second_closure.body_html
    assert "Closure reason: Completed" in second_closure.body_text
    # accepted, first contact, two closures; none for the change (and the allocation's notice)
    assert [m.to for m in mail.outbox].count([referral.referring_user.email]) == 4


def test_the_page_shows_the_current_choice(client, closed_case, coordinator, gp_receptionist):
    case = closed_case(GPFeedback.EVERYTHING)
    case = change(case, coordinator, GPFeedback.CODED_ONLY)
    assert "community choir" not in page_of(client, gp_receptionist, case)
    change(case, coordinator, GPFeedback.EVERYTHING)
    assert "community choir" in page_of(client, gp_receptionist, case)


def test_a_change_made_on_an_out_of_date_page_is_refused(referral, coordinator, link_worker):
    case = in_progress(referral, coordinator, link_worker)
    with pytest.raises(StaleVersion, match="changed by someone else"):
        change(case, link_worker, GPFeedback.CODED_ONLY, version=case.version - 1)
    case.refresh_from_db()
    assert case.gp_feedback == GPFeedback.EVERYTHING
    assert not ReferralEvent.objects.filter(kind=ReferralEvent.Kind.CONSENT).exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("coded", "Choose what may go back to the GP."),
     ("everything", "That is already the person's choice.")],
)  # fmt: skip
def test_a_bad_or_unchanged_choice_is_refused_by_name(
    referral, coordinator, link_worker, value, message
):
    case = in_progress(referral, coordinator, link_worker)
    with pytest.raises(ValidationError) as refused:
        change(case, link_worker, value)
    assert refused.value.field_errors == {"gp_feedback": [message]}
    case.refresh_from_db()
    assert not ReferralEvent.objects.filter(kind=ReferralEvent.Kind.CONSENT).exists()


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("referrer", InvalidTransition),  # she sees the referral, but it is not hers to record
        ("other_link_worker", Refused),
        ("outsider_referrer", Refused),
        ("outsider_coordinator", Refused),
        ("provider", Refused),
        ("commissioner", Refused),
    ],
)
def test_only_the_case_s_link_worker_or_coordinator_may_record_it(
    referral, coordinator, link_worker, people, who, refusal
):
    case = in_progress(referral, coordinator, link_worker)
    with pytest.raises(refusal):
        change(case, people[who], GPFeedback.CODED_ONLY)
    case.refresh_from_db()
    assert (case.gp_feedback, case.status) == (GPFeedback.EVERYTHING, Status.IN_PROGRESS)


@pytest.mark.parametrize("who", ["link_worker", "coordinator"])
def test_the_case_s_link_worker_and_coordinator_may_record_it(
    referral, coordinator, link_worker, people, who
):
    case = in_progress(referral, coordinator, link_worker)
    assert change(case, people[who], GPFeedback.CODED_ONLY).gp_feedback == "coded_only"
