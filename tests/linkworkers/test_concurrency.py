"""Llinos works on Glenys's case in two browser tabs at once: the row lock keeps it straight."""

import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from core.exceptions import ApplicationError
from linkworkers import services
from linkworkers.models import Contact, WhatMatters
from referrals.models import Notification, Referral, ReferralEvent, Status

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks (select_for_update is a no-op there)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _slow_access_check(monkeypatch):
    """Widen the window between locking the case and writing to it."""
    check = services.cases.can_work_on

    def slow(user, referral):
        answer = check(user, referral)
        time.sleep(0.3)
        return answer

    # Every topic module that checks access holds its own reference to the selector.
    for module in (services.cases, services.contacts, services.plans):
        monkeypatch.setattr(module, "can_work_on", slow, raising=False)


def _at_once(*calls):
    start = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            start.wait()
            call()
            outcomes.append("saved")
        except ApplicationError as error:
            outcomes.append(error.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return outcomes


def test_two_first_saves_of_what_matters_one_wins(link_worker, case, monkeypatch):
    _slow_access_check(monkeypatch)

    def save(words):
        return lambda: services.what_matters_save(
            referral=Referral.objects.get(pk=case.pk), actor=link_worker,
            expected_version=0, what_matters=words,
        )  # fmt: skip

    outcomes = _at_once(save("Singing"), save("Gardening"))
    assert outcomes.count("saved") == 1
    assert any("Someone saved what matters" in outcome for outcome in outcomes)
    assert WhatMatters.objects.get().version == 1


def test_two_successful_contacts_at_once_start_the_case_once(link_worker, case, gp, monkeypatch):
    _slow_access_check(monkeypatch)

    def reached():
        return lambda: services.contact_log(
            referral=Referral.objects.get(pk=case.pk), actor=link_worker,
            happened_at=timezone.now(), mode="phone", outcome="reached",
        )  # fmt: skip

    assert _at_once(reached(), reached()) == ["saved", "saved"]
    assert Contact.objects.count() == 2
    assert ReferralEvent.objects.filter(to_status=Status.IN_PROGRESS).count() == 1
    assert Notification.objects.filter(recipient=gp).count() == 1
