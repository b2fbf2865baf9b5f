"""The cell key method: the perturbation table, record keys on facts, key sums in the cubes,
and publishing a count (README, "Statistics")."""

import uuid
from datetime import date

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from linkworkers.models import Connection, UnmetNeed
from referrals.models import Referral
from reporting import cellkey
from reporting.models import (
    ConnectionCube,
    ConnectionFact,
    LinkWorkerLoad,
    OpenCaseCount,
    OutcomeFact,
    ReferralCube,
    ReferralFact,
    UnmetNeedFact,
)
from reporting.selectors import Filters, dashboard_tables, reporting_scope_for
from reporting.services import rollup_full
from reporting.tables import SUPPRESSED, Published, Tally, publish_count
from tests.factories import ConnectionFactory, ReferralFactory, ServiceFactory
from tests.reporting.conftest import at

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


# The perturbation table ---------------------------------------------------------------


@pytest.mark.parametrize("value", sorted(cellkey.PTABLE))
def test_each_row_of_the_table_covers_every_key_with_no_bias(value):
    row = cellkey.PTABLE[value]
    assert sum(row.values()) == cellkey.KEY_RANGE
    assert sum(change * keys for change, keys in row.items()) == 0  # mean 0
    assert all(abs(change) <= cellkey.MAX_PERTURBATION for change in row)
    assert all(value + change >= 0 for change in row)


def test_zero_is_never_perturbed_and_no_count_goes_below_zero():
    assert {cellkey.perturbation(0, key) for key in range(256)} == {0}
    for value in range(0, 40):
        assert all(cellkey.perturbed(value, key) >= 0 for key in range(256))


def test_a_large_count_gets_the_noise_of_the_last_row():
    changes = [cellkey.perturbation(1234, key) for key in range(256)]
    assert changes == [cellkey.perturbation(3, key) for key in range(256)]
    assert sorted(set(changes)) == [-3, -2, -1, 0, 1, 2, 3]
    assert changes.count(0) == 120


def test_the_cell_key_is_taken_modulo_256():
    assert all(
        cellkey.perturbation(17, key) == cellkey.perturbation(17, key + 256 * 7)
        for key in range(256)
    )


# Publishing a count ------------------------------------------------------------------


def test_a_count_is_perturbed_then_hidden_below_five_then_rounded():
    for value in range(0, 60):
        for key in range(256):
            shown = publish_count(Tally(value, key))
            noisy = cellkey.perturbed(value, key)
            if noisy == 0:
                assert shown == 0
            elif noisy < 5:
                assert shown is SUPPRESSED
            else:
                assert shown == 5 * ((noisy + 2) // 5) and isinstance(shown, Published)


def test_zero_stays_zero_and_a_published_count_stays_as_it_is():
    assert publish_count(0) == 0
    assert publish_count(Tally(0, 99)) == 0
    shown = publish_count(Tally(23, 5))
    assert publish_count(shown) == shown
    assert publish_count(SUPPRESSED) is SUPPRESSED


def test_a_count_without_its_cell_key_is_refused():
    with pytest.raises(TypeError, match="without its cell key"):
        publish_count(12)


def test_exact_figures_are_left_as_they_are():
    assert publish_count(Tally(3, 200), suppress=False) == 3


def test_with_the_noise_turned_off_counts_are_only_hidden_and_rounded(settings):
    settings.STATISTICS_PERTURBATION = False
    assert [publish_count(Tally(n, 77)) for n in (0, 1, 4, 5, 7, 8, 12)] == [
        0, SUPPRESSED, SUPPRESSED, 5, 5, 10, 10,
    ]  # fmt: skip


def test_tallies_add_up_their_keys():
    total = sum([Tally(3, 200), Tally(4, 100), Tally(0, 0)])
    assert isinstance(total, Tally)
    assert (int(total), total.key) == (7, 44)  # 300 mod 256
    assert 0 + Tally(2, 9) == Tally(2, 9) and (0 + Tally(2, 9)).key == 9
    assert not isinstance(Tally(2, 9) + 1, Tally)  # a bare number has no records to key
    assert str(Tally(12, 3)) == "12" and f"{Tally(1234, 3):,}" == "1,234"


# Record keys on the facts, key sums in the cubes ---------------------------------------


def test_the_database_works_out_the_same_keys_as_python(known_data):
    assert cellkey.record_key(uuid.UUID(int=0)) == cellkey.record_key(uuid.UUID(int=0))
    rollup_full()
    referrals = dict(Referral.objects.values_list("pk", "uuid"))
    for referral_id, key in ReferralFact.objects.values_list("referral_id", "record_key"):
        assert key == cellkey.record_key(referrals[referral_id])
    # Outcome pairs count people: their referral's key.
    for referral_id, key in OutcomeFact.objects.values_list("referral_id", "record_key"):
        assert key == cellkey.record_key(referrals[referral_id])
    connections = dict(Connection.objects.values_list("pk", "uuid"))
    assert ConnectionFact.objects.exists()
    for connection_id, key in ConnectionFact.objects.values_list("connection_id", "record_key"):
        assert key == cellkey.record_key(connections[connection_id])
    needs = dict(UnmetNeed.objects.values_list("pk", "uuid"))
    for need_id, key in UnmetNeedFact.objects.values_list("unmet_need_id", "record_key"):
        assert key == cellkey.record_key(needs[need_id])


def test_keys_come_from_the_secret(settings):
    record = uuid.UUID("0b7a4f6e-32c5-4c1d-9a57-3f0e8c1d2b44")
    keys = set()
    for secret in ("one", "two", "three", "four", "five", "six"):
        settings.STATISTICS_CELL_KEY_SECRET = secret
        keys.add(cellkey.record_key(record))
    assert len(keys) > 1


def test_each_count_in_a_cube_has_the_sum_of_its_records_keys(known_data):
    rollup_full()
    for cube in ReferralCube.objects.all():
        facts = ReferralFact.objects.filter(cell=cube.cell)
        assert cube.received_key == sum(facts.values_list("record_key", flat=True))
        assert cube.accepted_key == sum(
            facts.filter(accepted=True).values_list("record_key", flat=True)
        )
        assert cube.connected_completed_key == sum(
            facts.filter(connected_completed=True).values_list("record_key", flat=True)
        )
    for cube in ConnectionCube.objects.all():
        facts = ConnectionFact.objects.filter(
            cell=cube.cell,
            category_id=cube.category_id,
            provider_id=cube.provider_id,
            counts_connection=cube.counts_connection,
        )
        assert cube.connections_key == sum(facts.values_list("record_key", flat=True))
        assert cube.attended_key == sum(
            facts.filter(attended=True).values_list("record_key", flat=True)
        )


def test_open_cases_carry_the_keys_of_the_open_referrals(known_data, llinos):
    rollup_full()
    load = LinkWorkerLoad.objects.get(link_worker_id=llinos.user_id)
    open_referrals = Referral.objects.open().filter(link_worker_id=llinos.user_id)
    assert load.open_cases == open_referrals.count() == 1
    assert load.open_cases_key == sum(cellkey.record_key(r.uuid) for r in open_referrals)


def test_open_cases_by_area_and_source_carry_the_keys_of_their_referrals(known_data, dafydd):
    ReferralFactory(
        scheme=known_data["r4"].scheme, area=known_data["r4"].area, status="in_progress",
        received_at=at(2026, 4, 20), allocated_at=at(2026, 4, 21), link_worker=dafydd.user,
    )  # fmt: skip
    rollup_full()
    counts = list(OpenCaseCount.objects.all())
    assert len(counts) == 2
    for count in counts:
        open_referrals = Referral.objects.open().filter(
            link_worker_id=count.link_worker_id,
            scheme_id=count.scheme_id,
            area_id=count.area_id,
            source_kind=count.source_kind,
        )
        assert count.open_cases == open_referrals.count() == 1
        assert count.open_cases_key == sum(cellkey.record_key(r.uuid) for r in open_referrals)


def test_a_connection_under_two_categories_has_its_own_key_under_each(known_data):
    both = ServiceFactory(name="Gardening and painting")
    both.taxonomy_terms.add(known_data["gardening"], known_data["arts"])
    made = ConnectionFactory(
        referral=known_data["r4"], service=both, status="referred", referred_at=at(2026, 4, 21)
    )
    rollup_full()
    facts = ConnectionFact.objects.filter(connection_id=made.pk)
    assert facts.count() == 2 and facts.filter(counts_connection=True).count() == 1
    assert set(facts.values_list("record_key", flat=True)) == {cellkey.record_key(made.uuid)}


def test_a_full_rebuild_keeps_every_key(known_data):
    rollup_full()
    facts = sorted(ReferralFact.objects.values_list("referral_id", "record_key"))
    sums = ReferralCube.objects.aggregate(Sum("received_key"), Sum("completed_key"))
    rollup_full()
    assert sorted(ReferralFact.objects.values_list("referral_id", "record_key")) == facts
    assert ReferralCube.objects.aggregate(Sum("received_key"), Sum("completed_key")) == sums


def test_the_commissioners_figures_are_the_tallies_published(known_data, commissioner):
    """Each published count is its exact count under its records' noise, nothing else."""
    rollup_full()
    scope = reporting_scope_for(commissioner)
    funnel = next(
        t
        for t in dashboard_tables(scope=scope, filters=Filters(start=MARCH, end=APRIL))
        if t.key == "funnel"
    )
    facts = ReferralFact.objects.filter(month__in=[MARCH, APRIL])
    received = Tally(facts.count(), sum(facts.values_list("record_key", flat=True)))
    assert funnel.rows[0][1] == publish_count(received)


def commissioners_tables(commissioner, **filters):
    scope = reporting_scope_for(commissioner)
    filters = Filters(start=MARCH, end=APRIL, area_ids=set(scope.area_ids), **filters)
    return {table.key: table for table in dashboard_tables(scope=scope, filters=filters)}, scope


def tally_of_records(records):
    return Tally(len(records), sum(cellkey.record_key(record.uuid) for record in records))


def test_the_commissioners_open_cases_are_published_from_the_open_referrals(
    known_data, commissioner, scheme, dafydd
):
    for day in (20, 21, 22):
        ReferralFactory(
            scheme=scheme, area=known_data["r4"].area, status="in_progress",
            received_at=at(2026, 4, day), allocated_at=at(2026, 4, day), link_worker=dafydd.user,
        )  # fmt: skip
    rollup_full()
    tables, scope = commissioners_tables(commissioner)
    open_referrals = list(
        Referral.objects.open().filter(
            scheme=scheme, area_id__in=scope.area_ids, link_worker__isnull=False
        )
    )
    assert len(open_referrals) == 4  # R2 and the three above
    (row,) = tables["caseload"].rows
    assert row[1] == publish_count(tally_of_records(open_referrals))


def test_the_commissioners_connection_totals_count_each_connection_once_with_its_key(
    known_data, commissioner
):
    both = ServiceFactory(name="Gardening and painting")
    both.taxonomy_terms.add(known_data["gardening"], known_data["arts"])
    ConnectionFactory(
        referral=known_data["r4"], service=both, status="referred", referred_at=at(2026, 4, 21)
    )
    rollup_full()
    tables, _scope = commissioners_tables(commissioner)
    made = list(Connection.objects.filter(referral__in=[known_data[r] for r in ("r1", "r2", "r4")]))
    assert len(made) == 3
    total = publish_count(tally_of_records(made))
    assert tables["connections_by_category"].total[1] == total
    assert tables["connections_by_provider"].total[1] == total


def test_the_completed_beside_the_funnel_is_published_from_its_records(known_data, commissioner):
    rollup_full()
    tables, scope = commissioners_tables(commissioner)
    completed = list(
        Referral.objects.filter(
            status="closed", closure_reason="completed", area_id__in=scope.area_ids,
            scheme=known_data["r1"].scheme, received_at__date__gte=MARCH,
        )
    )  # fmt: skip
    assert completed == [known_data["r1"]]
    shown = publish_count(tally_of_records(completed))
    assert f"service or not: {shown}." in tables["funnel"].notes[1]


def test_the_commissioners_dashboard_reads_a_fixed_number_of_queries(known_data, commissioner):
    rollup_full()
    scope = reporting_scope_for(commissioner)
    filters = Filters(start=MARCH, end=APRIL)
    with CaptureQueriesContext(connection) as few:
        dashboard_tables(scope=scope, filters=filters)
    for day in range(1, 25):
        ReferralFactory.create_batch(
            2,
            scheme=known_data["r1"].scheme,
            received_at=known_data["r1"].received_at.replace(day=day),
        )
    rollup_full()
    with CaptureQueriesContext(connection) as many:
        dashboard_tables(scope=scope, filters=filters)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert not any("referrals_referral" in q["sql"] for q in many.captured_queries)


def test_after_the_upgrade_drops_the_unkeyed_rollups_the_next_run_rebuilds_everything(
    known_data, scheme
):
    from importlib import import_module

    from django.apps import apps

    from reporting.services import rollup_incremental

    rollup_full()
    before = sorted(ReferralCube.objects.values_list("cell", "received", "received_key"))
    migration = import_module("reporting.migrations.0006_cell_keys")
    migration.forget_rollups_without_keys(apps, None)
    assert not ReferralFact.objects.exists() and not ReferralCube.objects.exists()
    run = rollup_incremental()  # a previous run is on record, but there are no facts
    assert run.since is None
    assert sorted(ReferralCube.objects.values_list("cell", "received", "received_key")) == before
