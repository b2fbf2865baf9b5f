"""After enough failed attempts over enough days, the workspace proposes closing the case."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from linkworkers.selectors import unable_to_contact_due
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 1, 5, 10, 0)


def _attempts(case, days, outcome="no_answer"):
    """Contacts at MONDAY plus each of `days` (fractions of a day allowed)."""
    return [
        ContactFactory(
            referral=case, outcome=outcome,
            happened_at=timezone.make_aware(MONDAY + timedelta(days=day)),
        )
        for day in days
    ]  # fmt: skip


def test_three_failures_a_week_apart_propose_closing(case):
    assert unable_to_contact_due(_attempts(case, [0, 3, 7]))


def test_three_failures_within_six_days_do_not(case):
    assert not unable_to_contact_due(_attempts(case, [0, 3, 6]))


def test_two_failures_do_not_however_far_apart(case):
    assert not unable_to_contact_due(_attempts(case, [0, 30]))


def test_it_counts_calendar_days_not_hours(case):
    # Monday 10:00 to the next Monday 09:00 is under seven times 24 hours, yet a week apart.
    assert unable_to_contact_due(_attempts(case, [0, 2, 7 - 1 / 24]))


def test_every_kind_of_failure_counts(case):
    contacts = _attempts(case, [0], "no_answer") + _attempts(case, [3], "cancelled")
    contacts += _attempts(case, [7], "did_not_attend")
    assert unable_to_contact_due(contacts)


def test_reaching_the_person_starts_the_count_again(case):
    contacts = _attempts(case, [0, 3, 7]) + _attempts(case, [8], "reached")
    contacts += _attempts(case, [9, 16])
    assert not unable_to_contact_due(contacts)
    assert unable_to_contact_due([*contacts, *_attempts(case, [17])])


def test_order_of_recording_does_not_matter(case):
    contacts = _attempts(case, [7, 0, 3])
    assert unable_to_contact_due(list(reversed(contacts)))


def test_the_numbers_are_settings(case, settings):
    settings.UNABLE_TO_CONTACT_ATTEMPTS = 2
    settings.UNABLE_TO_CONTACT_MIN_DAYS = 1
    assert unable_to_contact_due(_attempts(case, [0, 1]))
    settings.UNABLE_TO_CONTACT_ATTEMPTS = 4
    assert not unable_to_contact_due(_attempts(case, [2, 3]))


def test_no_contacts_propose_nothing():
    assert not unable_to_contact_due([])


def test_the_workspace_shows_the_proposal_with_the_reason_chosen(client, link_worker, case):
    _attempts(case, [0, 3, 7])
    client.force_login(link_worker)
    response = client.get(reverse("linkworkers:case", args=[case.uuid]))
    assert response.context["propose_unable_to_contact"]
    close_url = reverse("linkworkers:close", args=[case.uuid]) + "?reason=unable_to_contact"
    assert close_url in response.content.decode()
    form = client.get(close_url).context["form"]
    assert form.initial["reason"] == "unable_to_contact"


def test_the_workspace_stays_quiet_before_then(client, link_worker, case):
    _attempts(case, [0, 3])
    client.force_login(link_worker)
    response = client.get(reverse("linkworkers:case", args=[case.uuid]))
    assert not response.context["propose_unable_to_contact"]
    assert 'data-testid="unable-to-contact"' not in response.content.decode()
