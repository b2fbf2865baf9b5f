"""Carys and Ffion allocate the same referral at the same moment: one wins, the other is told."""

import threading
import time

import pytest
from django.db import connection, connections

from core.exceptions import ApplicationError
from linkworkers.services import referral_allocate
from referrals import services
from referrals.models import Referral, ReferralEvent, Status
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks (select_for_update is a no-op there)",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_two_coordinators_allocate_at_once(
    referral, coordinator, link_worker, other_link_worker, scheme, monkeypatch
):
    colleague = UserFactory(username="ffion", role="coordinator", organisation=scheme)
    referral.status = Status.ACCEPTED
    referral.save()
    checked = services.lifecycle.move_refusal

    def slow_check(**kwargs):
        # Widen the window between checking the move and writing it: without
        # the row lock both would pass the check and the second would overwrite.
        answer = checked(**kwargs)
        time.sleep(0.3)
        return answer

    monkeypatch.setattr(services.lifecycle, "move_refusal", slow_check)
    start = threading.Barrier(2)
    outcomes = {}

    def allocate(actor, worker):
        try:
            start.wait()
            stale = Referral.objects.get(pk=referral.pk)
            referral_allocate(referral=stale, actor=actor, link_worker=worker)
            outcomes[actor.username] = "won"
        except ApplicationError as error:
            outcomes[actor.username] = error.message
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=allocate, args=(coordinator, link_worker)),
        threading.Thread(target=allocate, args=(colleague, other_link_worker)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(outcomes.values())[-1] == "won"
    assert list(outcomes.values()).count("won") == 1
    loser_message = next(m for m in outcomes.values() if m != "won")
    assert "cannot be moved to Allocated" in loser_message
    referral.refresh_from_db()
    assert referral.status == Status.ALLOCATED and referral.version == 2
    winner = coordinator if outcomes["carys"] == "won" else colleague
    assert ReferralEvent.objects.get(to_status=Status.ALLOCATED).actor == winner
