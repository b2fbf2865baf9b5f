"""Ten referrals for the same person at the same moment (finding 7 of issue 11).

Before, ten concurrent referrals for someone with the same name, date of
birth and postcode made eight person records, none flagged. Now people who
share a match key are made one after another (an advisory lock per key on
PostgreSQL): with the NHS number and date of birth there is exactly one
person; without, each new record after the first waits in the coordinator's
queue as a possible duplicate of an earlier one.
"""

import threading
import time
from datetime import date

import pytest
from django.db import connection, connections

from referrals import services
from referrals.models import Person, PossibleDuplicate, Referral

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite lets one writer in at a time, so nothing can race",
    ),
    pytest.mark.django_db(transaction=True),
]

GLENYS = {
    "given_name": "Glenys", "family_name": "Pritchard", "date_of_birth": date(1948, 3, 2),
    "postcode": "CF10 1AA",
}  # fmt: skip
REFERRAL = {
    "reasons": ["loneliness"], "what_matters": "Would like to sing again.",
    "consent_to_referral": True, "consent_to_share": True,
}  # fmt: skip
TEN = 10


def _ten_at_once(rhian, person, monkeypatch):
    looked = services.intake._match_person

    def slow_look(*args, **kwargs):
        # Widen the window between looking for the person and creating one:
        # without the lock all ten would look before any had created.
        answer = looked(*args, **kwargs)
        time.sleep(0.1)
        return answer

    monkeypatch.setattr(services.intake, "_match_person", slow_look)
    start = threading.Barrier(TEN)
    failures = []

    def refer():
        try:
            start.wait()
            services.referral_create(actor=rhian, person_details=person, referral_details=REFERRAL)
        except Exception as error:  # noqa: BLE001 - the test reports what went wrong
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refer) for _ in range(TEN)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert Referral.objects.count() == TEN


def test_ten_at_once_with_the_nhs_number_make_one_person(gp_receptionist, scheme, monkeypatch):
    _ten_at_once(gp_receptionist, {**GLENYS, "nhs_number": "943 476 5919"}, monkeypatch)
    assert Person.objects.count() == 1
    assert not PossibleDuplicate.objects.exists()


def test_ten_at_once_without_it_are_all_queued_but_the_first(gp_receptionist, scheme, monkeypatch):
    _ten_at_once(gp_receptionist, GLENYS, monkeypatch)
    people = list(Person.objects.order_by("pk"))
    assert len(people) == TEN
    pairs = list(PossibleDuplicate.objects.select_related("person", "existing"))
    assert sorted(pair.person.pk for pair in pairs) == [person.pk for person in people[1:]]
    assert all(pair.existing.pk < pair.person.pk for pair in pairs)
    assert all(pair.scheme == scheme and pair.state == "open" for pair in pairs)
