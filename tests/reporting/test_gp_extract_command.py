"""The operator schedules Afon Surgery's monthly drop: `manage.py gp_extract`."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent, Role
from referrals.models import ClosureReason, Referral, SourceKind
from reporting import gp_extract
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    SchemeFactory,
    UserFactory,
)
from tests.reporting.gp_extract_people import at, closed, referred, started

pytestmark = pytest.mark.django_db

HEADER = (
    "practice_ods_code,nhs_number,family_name,given_name,date_of_birth,referral_reference,"
    "event_date,snomed_concept_id,snomed_term,event"
)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("gp_extract", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def practice(db):
    return OrganisationFactory(name="Afon Surgery", ods_code="W90001")


@pytest.fixture
def other_practice(db):
    return OrganisationFactory(name="Bryn Medical Centre", ods_code="W90002")


@pytest.fixture
def scheme(practice):
    return SchemeFactory(name="Teg Valley Community Connectors", area=practice.area)


@pytest.fixture
def other_scheme(db):
    return SchemeFactory(name="Glannau Connectors")


@pytest.fixture
def link_worker(scheme):
    return UserFactory(username="llinos", role=Role.LINK_WORKER, organisation=scheme)


@pytest.fixture
def mair(practice, scheme, other_scheme, other_practice, link_worker):
    mair = PersonFactory(given_name="Mair", family_name="Jones", date_of_birth=date(1948, 7, 9))
    referral = referred(
        practice=practice, scheme=scheme, person=mair, reference="SP-MAIR01", when=at(2026, 10, 1)
    )
    started(referral, when=at(2026, 10, 3), link_worker=link_worker)
    closed(referral, reason=ClosureReason.DECLINED, when=at(2026, 10, 20), link_worker=link_worker)
    # The command has no reader's scope: every referral the practice made, to any scheme.
    alys = referred(practice=practice, scheme=other_scheme, reference="SP-ALYS01",
                    when=at(2026, 10, 10))  # fmt: skip
    started(alys, when=at(2026, 10, 14), link_worker=link_worker)
    bryn = referred(practice=other_practice, scheme=scheme, reference="SP-BRYN01",
                    when=at(2026, 10, 5))  # fmt: skip
    started(bryn, when=at(2026, 10, 7), link_worker=link_worker)
    ReferralFactory(
        source_kind=SourceKind.SELF,
        referring_organisation=None,
        referring_user=None,
        scheme=scheme,
        received_at=at(2026, 10, 6),
    )
    return mair  # fmt: skip


def test_it_writes_the_extract_to_standard_output(mair):
    out, _err = run("--practice", "W90001", "--from", "2026-10-01", "--to", "2026-10-31")
    lines = out.splitlines()
    assert lines[0] == HEADER
    assert lines[1] == (
        f"W90001,{mair.nhs_number},Jones,Mair,1948-07-09,SP-MAIR01,2026-10-03,"
        "871731000000106,Referral to social prescribing service,accepted_by_person"
    )
    assert ",SP-ALYS01,2026-10-14," in lines[2]
    assert lines[3].endswith(
        "SP-MAIR01,2026-10-20,871711000000103,Social prescribing declined,declined_by_person"
    )
    assert len(lines) == 4


def test_it_writes_a_file_and_says_so(mair, tmp_path):
    path = tmp_path / "afon.csv"
    out, err = run("--practice", "w90001", "--from", "2026-10-01", "--to", "2026-10-31",
                   "--output", str(path))  # fmt: skip
    assert out == ""
    assert path.read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert len(path.read_text(encoding="utf-8").splitlines()) == 4
    assert f"Wrote 3 coded events for Afon Surgery (W90001) to {path}" in err


def test_it_is_audited_as_the_command(mair, practice):
    run("--practice", "W90001", "--from", "2026-10-01", "--to", "2026-10-31")
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor is None
    assert event.object_id == str(practice.uuid)
    assert event.detail == (
        "GP extract for practice W90001, 2026-10-01 to 2026-10-31, 3 rows, "
        "by the gp_extract command"
    )
    # Everyone in the file, by their referrals: Mair and Alys.
    assert event.records == ["SP-MAIR01", "SP-ALYS01"]
    people = Referral.objects.filter(reference__in=event.records).values_list("person__uuid")
    assert {s.person_uuid for s in event.subjects.all()} == {uuid for (uuid,) in people}
    assert event.subjects.count() == 2


def test_an_unknown_practice_is_refused(mair):
    with pytest.raises(CommandError, match=r"^--practice: no GP practice has the ODS code 'X1'"):
        run("--practice", "X1", "--from", "2026-10-01", "--to", "2026-10-31")
    assert not AuditEvent.objects.exists()


def test_a_scheme_is_not_a_practice(scheme):
    scheme.ods_code = "S1"
    scheme.save()
    with pytest.raises(CommandError, match="--practice"):
        run("--practice", "S1", "--from", "2026-10-01", "--to", "2026-10-31")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-13-01", "2026-10-31", "--from: Enter the from date as YYYY-MM-DD"),
        ("2026-10-01", "31/10/2026", "--to: Enter the to date as YYYY-MM-DD"),
        ("2026-10-31", "2026-10-01", "--to: The to date must not be before the from date."),
        ("2025-10-01", "2026-10-01", "--to: The period can be a year at most"),
    ],
)
def test_a_bad_date_is_refused_naming_the_option(mair, start, end, message):
    with pytest.raises(CommandError, match=f"^{message}"):
        run("--practice", "W90001", "--from", start, "--to", end)
    assert not AuditEvent.objects.exists()


def test_a_leap_day_period_runs_to_the_last_of_february():
    assert gp_extract.parse_period("2024-02-29", "2025-02-28").end == date(2025, 2, 28)
    with pytest.raises(gp_extract.ValidationError):
        gp_extract.parse_period("2024-02-29", "2025-03-01")
