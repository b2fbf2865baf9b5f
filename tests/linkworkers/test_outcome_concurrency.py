"""Llinos and Carys record Glenys's baseline at the same moment: one is kept, the other told."""
# ruff: noqa: F811 (fixtures imported from outcome_people are a test's arguments)

import threading

import pytest
from django.db import connection, connections

from core.exceptions import ApplicationError
from linkworkers import services
from linkworkers.models import OutcomeMeasure
from tests.linkworkers.outcome_people import (  # noqa: F401
    answers_by_order,
    carys,
    case,
    fast_password_hashing,
    gwen,
    in_english,
    instruments,
    llinos,
    scheme,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks (select_for_update is a no-op there)",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_two_baselines_at_once_keep_one(case, llinos, carys, instruments):
    ons4 = instruments["ons4"]
    start = threading.Barrier(2)
    results = {}

    def record(actor, values):
        try:
            start.wait()
            services.outcome_record(
                referral=case, instrument=ons4, timepoint="baseline", actor=actor,
                answers=answers_by_order(ons4, *values),
            )  # fmt: skip
            results[actor.username] = "kept"
        except ApplicationError as error:
            results[actor.username] = error.message
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=record, args=(llinos, (4, 5, 6, 8))),
        threading.Thread(target=record, args=(carys, (5, 5, 5, 5))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(results.values()).count("kept") == 1
    refused = next(m for m in results.values() if m != "kept")
    assert refused == "A baseline ONS4 personal wellbeing was already recorded for this case."
    assert OutcomeMeasure.objects.filter(referral=case, timepoint="baseline").count() == 1
