"""Statistics computed before and after an erasure agree.

The scheme of conftest.py: R1 (75+, closed completed, a connection and a UCLA pair), R3
(0-17, rejected), R4 (65-74, closed declined) and R0 (February) belong to people Dewi,
the scheme's DPO, erases; R2 is still in progress, so its person stays. The people live
at postcodes of different deprivation deciles, so every breakdown has something to lose.
"""

from datetime import date

import pytest

from accounts.models import Role
from directory.models import Postcode
from privacy.services.erasure import person_erase
from referrals.models import Person, Referral, Status
from reporting.models import ReferralFact
from reporting.selectors import Filters, dashboard_tables, reporting_scope_for
from reporting.services import rollup_full, rollup_incremental
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FEBRUARY, MAY = date(2026, 2, 1), date(2026, 5, 1)
DECILES = {"CF10 1BA": 1, "CF10 1BB": 4, "CF10 1BD": 6, "CF10 1BE": 9, "CF10 1BF": 10}


@pytest.fixture
def people(known_data, scheme, empty_postcode_table):
    """Each of the scheme's people at their own postcode, each postcode with its decile."""
    for postcode, decile in DECILES.items():
        Postcode.objects.create(postcode=postcode, imd_decile=decile)
    referrals = Referral.objects.filter(scheme=scheme).select_related("person").order_by("pk")
    for referral, postcode in zip(referrals, DECILES, strict=True):
        Person.objects.filter(pk=referral.person_id).update(postcode=postcode)
    return referrals


@pytest.fixture
def dpo(scheme):
    return UserFactory(username="dewi", role=Role.DPO, organisation=scheme)


def figures(*readers):
    """Every dashboard table for each reader, as a manager (exact) and a commissioner see it."""
    out = []
    for reader in readers:
        scope = reporting_scope_for(reader)
        for table in dashboard_tables(scope=scope, filters=Filters(start=FEBRUARY, end=MAY)):
            out.append(
                (reader.username, table.key, table.sentence, table.rows, table.total, table.notes)
            )
    return out


def facts():
    return sorted(
        ReferralFact.objects.values_list(
            "referral_id", "cell", "age_band", "gender", "ethnic_group", "deprivation",
            "reasons", "accepted", "rejected", "allocated", "first_contact", "connected",
            "closed", "completed", "wait_days", "wait_working_days",
        )
    )  # fmt: skip


def erase_everyone_closed(scheme, dpo):
    erasable = (
        Person.objects.filter(referrals__scheme=scheme)
        .exclude(referrals__status__in=[Status.RECEIVED, Status.ACCEPTED, Status.IN_PROGRESS])
        .distinct()
    )
    erased = [person_erase(person=person, actor=dpo, reason="Asked.") for person in erasable]
    assert len(erased) == 3  # R1's, R3's and R4's people; R0 (received) and R2 (open) stay
    return erased


def test_statistics_computed_before_and_after_an_erasure_agree(
    people, scheme, dpo, coordinator, commissioner
):
    rollup_full()
    before, facts_before = figures(coordinator, commissioner), facts()
    assert any(row[1] == "deprivation" and row[3] for row in before)
    erase_everyone_closed(scheme, dpo)
    rollup_full()
    assert figures(coordinator, commissioner) == before
    assert facts() == facts_before


def test_the_incremental_run_after_an_erasure_agrees_too(
    people, scheme, dpo, coordinator, commissioner
):
    rollup_full()
    before = figures(coordinator, commissioner)
    erase_everyone_closed(scheme, dpo)
    run = rollup_incremental()
    assert run.referrals >= 3  # the erased people's referrals were looked at again
    assert figures(coordinator, commissioner) == before


def test_the_age_bands_and_deprivation_survive_without_a_date_of_birth_or_postcode(
    people, scheme, dpo, coordinator
):
    rollup_full()
    bands_before = dict(ReferralFact.objects.values_list("referral_id", "age_band"))
    quintiles_before = dict(ReferralFact.objects.values_list("referral_id", "deprivation"))
    assert set(quintiles_before.values()) >= {"1", "2", "3", "5"}
    erase_everyone_closed(scheme, dpo)
    assert Person.objects.filter(date_of_birth__isnull=True, postcode="").count() == 3
    rollup_full()
    assert dict(ReferralFact.objects.values_list("referral_id", "age_band")) == bands_before
    assert dict(ReferralFact.objects.values_list("referral_id", "deprivation")) == (
        quintiles_before
    )
