"""Rhian downloads Afon Surgery's GP-system extract; Carys downloads it for her scheme.

The extract holds, for each referral event a GP record would hold, the SNOMED
CT concept: the person accepting the referral (their first contact, as NHS
England's guidance asks, not the scheme receiving it), and the person
declining. Nothing else.

Rhian is on the front desk at Afon Surgery (W90001); Osian at Bryn Medical
Centre (W90002), the outsider practice. Carys coordinates the Teg Valley
scheme both practices refer to; Olwen coordinates another scheme. Catrin is a
commissioner, Llinos a link worker, Prys works for a community provider, Nia
is a peer navigator and Huw refers from a housing association: none of them
downloads a GP extract.
"""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEvent, Organisation, Role
from referrals import services as referral_services
from referrals.models import ClosureReason, ReferralEvent, SourceKind, Status
from reporting import gp_extract
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    SchemeFactory,
    UserFactory,
)
from tests.reporting.gp_extract_people import at, closed, moved, referred, started

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
def receptionist(practice):
    """Rhian, on the front desk at Afon Surgery."""
    return UserFactory(username="rhian", role=Role.REFERRER, organisation=practice)


@pytest.fixture
def outsider_receptionist(other_practice):
    """Osian, at Bryn Medical Centre."""
    return UserFactory(username="osian", role=Role.REFERRER, organisation=other_practice)


@pytest.fixture
def coordinator(scheme):
    """Carys coordinates the Teg Valley scheme."""
    return UserFactory(username="carys", role=Role.COORDINATOR, organisation=scheme)


@pytest.fixture
def other_coordinator(other_scheme):
    """Olwen coordinates Glannau Connectors."""
    return UserFactory(username="olwen", role=Role.COORDINATOR, organisation=other_scheme)


@pytest.fixture
def link_worker(scheme):
    """Llinos, a link worker in the Teg Valley scheme."""
    return UserFactory(username="llinos", role=Role.LINK_WORKER, organisation=scheme)


@pytest.fixture
def commissioner(practice):
    """Catrin commissions social prescribing for the health board."""
    board = OrganisationFactory(
        name="Teg Valley Health Board", kind=Organisation.Kind.HEALTH, ods_code="7X1",
        area=practice.area,
    )  # fmt: skip
    return UserFactory(username="catrin", role=Role.COMMISSIONER, organisation=board)


@pytest.fixture
def provider_staff(db):
    """Prys works for a community provider."""
    return UserFactory(
        username="prys",
        role=Role.PROVIDER,
        organisation=OrganisationFactory(kind=Organisation.Kind.PROVIDER, ods_code=None),
    )


@pytest.fixture
def peer_navigator(scheme):
    """Nia, a peer navigator in the Teg Valley scheme."""
    return UserFactory(username="nia", role=Role.PEER_NAVIGATOR, organisation=scheme)


@pytest.fixture
def administrator(db):
    """Aled administers the system: no person's record comes with that."""
    return UserFactory(username="aled", role=Role.ADMIN, organisation=None)


@pytest.fixture
def housing_officer(db):
    """Huw refers from a housing association: a referrer, but not of a GP practice."""
    return UserFactory(
        username="huw",
        role=Role.REFERRER,
        organisation=OrganisationFactory(kind=Organisation.Kind.HOUSING, ods_code=None),
    )


OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
HEADER = (
    "practice_ods_code,nhs_number,family_name,given_name,date_of_birth,referral_reference,"
    "event_date,snomed_concept_id,snomed_term,event"
)
ACCEPTED = "871731000000106,Referral to social prescribing service,accepted_by_person"
DECLINED = "871711000000103,Social prescribing declined,declined_by_person"


def person(given, family, born):
    return PersonFactory(given_name=given, family_name=family, date_of_birth=born)


@pytest.fixture
def october(practice, other_practice, scheme, other_scheme, link_worker):
    """Afon Surgery's October, with everything around it that must stay out.

    NHS England's guidance: the referral is coded when the person accepts it (their first
    contact), not when the scheme receives it; declining is coded when they decline.
    """
    people = {
        "huw": person("Huw", "Evans", date(1950, 2, 1)),
        "mair": person("Mair", "Jones", date(1948, 7, 9)),
        "owain": person("Owain", "Rees", date(1990, 12, 24)),
        "glenys": person("Glenys", "Price", date(1939, 3, 3)),
        "alys": person("Alys", "Lloyd", date(2001, 5, 17)),
        "ffion": person("Ffion", "Morgan", date(1975, 8, 30)),
    }
    r = {}
    # Referred in September; his first contact at 00:30 on 1 October in Wales is 23:30 on
    # 30 September in UTC: it is October's.
    r["huw"] = referred(
        practice=practice,
        scheme=scheme,
        person=people["huw"],
        reference="SP-HUW001",
        when=at(2026, 9, 25),
    )
    started(
        r["huw"],
        when=datetime(2026, 9, 30, 23, 30, tzinfo=ZoneInfo("UTC")),
        link_worker=link_worker,
    )
    # Referred, accepted by the scheme (not coded), accepted by Mair at her first contact,
    # then declined: two rows.
    r["mair"] = referred(
        practice=practice,
        scheme=scheme,
        person=people["mair"],
        reference="SP-MAIR01",
        when=at(2026, 10, 3),
    )
    moved(r["mair"], to_status=Status.ACCEPTED, when=at(2026, 10, 4))
    started(r["mair"], when=at(2026, 10, 6), link_worker=link_worker)
    closed(r["mair"], reason=ClosureReason.DECLINED, when=at(2026, 10, 20), link_worker=link_worker)
    # Referred in September, declined in October without ever taking it up: one row.
    r["owain"] = referred(
        practice=practice,
        scheme=scheme,
        person=people["owain"],
        reference="SP-OWAIN1",
        when=at(2026, 9, 15),
    )
    closed(r["owain"], reason=ClosureReason.DECLINED, when=at(2026, 10, 5), link_worker=link_worker)
    # The scheme's rejection is not the person declining, and arriving is not accepting.
    r["glenys"] = referred(
        practice=practice,
        scheme=scheme,
        person=people["glenys"],
        reference="SP-GLENY1",
        when=at(2026, 10, 10),
    )
    moved(r["glenys"], to_status=Status.REJECTED, when=at(2026, 10, 11))
    ReferralEvent.objects.create(
        referral=r["glenys"],
        kind=ReferralEvent.Kind.NOTE,
        note="Talked it over with the GP.",
        created_at=at(2026, 10, 11),
    )
    # Afon Surgery also referred Alys to another scheme: Rhian's, but not Carys's.
    r["alys"] = referred(
        practice=practice,
        scheme=other_scheme,
        person=people["alys"],
        reference="SP-ALYS01",
        when=at(2026, 10, 1),
    )
    started(r["alys"], when=at(2026, 10, 14), link_worker=link_worker)
    # Ffion's first conversation was on 29 September, logged on 2 October: October's drop
    # holds it (each event is in the drop of the month it was recorded), dated the day she
    # accepted.
    r["ffion"] = referred(
        practice=practice,
        scheme=scheme,
        person=people["ffion"],
        reference="SP-FFION1",
        when=at(2026, 9, 20),
    )
    started(r["ffion"], when=at(2026, 9, 29), recorded=at(2026, 10, 2), link_worker=link_worker)
    # Out of the extract: a November first contact, a self-referral, another practice's.
    november = referred(practice=practice, scheme=scheme, when=at(2026, 10, 30),
                        reference="SP-NOVEMB")  # fmt: skip
    started(november, when=at(2026, 11, 2), link_worker=link_worker)
    self_referral = ReferralFactory(
        source_kind=SourceKind.SELF,
        referring_organisation=None,
        referring_user=None,
        scheme=scheme,
        reference="SP-SELF01",
        received_at=at(2026, 10, 6),
    )
    started(self_referral, when=at(2026, 10, 8), link_worker=link_worker)
    bryn = referred(practice=other_practice, scheme=scheme, when=at(2026, 10, 2),
                    reference="SP-BRYN01")  # fmt: skip
    started(bryn, when=at(2026, 10, 7), link_worker=link_worker)
    return r  # fmt: skip


def rows_of(response):
    return response.content.decode().splitlines()


def csv_url(ods_code="W90001"):
    return reverse("reporting:gp_extract_csv", kwargs={"ods_code": ods_code})


def line(referral, day, coded):
    p = referral.person
    return (
        f"W90001,{p.nhs_number},{p.family_name},{p.given_name},{p.date_of_birth.isoformat()},"
        f"{referral.reference},{day},{coded}"
    )


# Rhian, the GP receptionist ------------------------------------------------


def test_rhian_downloads_her_practices_coded_events_for_october(client, receptionist, october):
    client.force_login(receptionist)
    response = client.get(csv_url(), OCTOBER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="gp-extract-W90001-2026-10-01-to-2026-10-31.csv"'
    )
    assert rows_of(response) == [
        HEADER,
        line(october["ffion"], "2026-09-29", ACCEPTED),
        line(october["huw"], "2026-10-01", ACCEPTED),
        line(october["owain"], "2026-10-05", DECLINED),
        line(october["mair"], "2026-10-06", ACCEPTED),
        line(october["alys"], "2026-10-14", ACCEPTED),
        line(october["mair"], "2026-10-20", DECLINED),
    ]


def test_the_file_is_csv_a_machine_can_read(client, receptionist, october):
    client.force_login(receptionist)
    records = list(csv.DictReader(io.StringIO(client.get(csv_url(), OCTOBER).content.decode())))
    assert {record["snomed_concept_id"] for record in records} == {
        "871731000000106",
        "871711000000103",
    }
    assert {record["practice_ods_code"] for record in records} == {"W90001"}


def test_her_download_is_audited(client, receptionist, practice, october):
    client.force_login(receptionist)
    client.get(csv_url(), OCTOBER)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == receptionist
    assert event.object_type == "accounts.organisation"
    assert event.object_id == str(practice.uuid)
    assert event.detail == "GP extract for practice W90001, 2026-10-01 to 2026-10-31, 6 rows"
    # The row names everyone in the file and their referrals, and no one else.
    in_file = [october[name] for name in ("ffion", "huw", "owain", "mair", "alys")]
    assert {s.person_uuid for s in event.subjects.all()} == {r.person.uuid for r in in_file}
    assert event.records == [r.reference for r in in_file]


def test_rhian_sees_how_many_coded_events_october_holds(client, receptionist, october):
    client.force_login(receptionist)
    response = client.get(reverse("reporting:gp_extract"), {"practice": "W90001", **OCTOBER})
    assert response.status_code == 200
    assert response.context["count"] == 6
    html = response.content.decode()
    assert "From 1 October 2026 to 31 October 2026 there are 6 coded events." in html
    assert f"{csv_url()}?from=2026-10-01&amp;to=2026-10-31" in html
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_page_starts_at_the_previous_calendar_month(client, receptionist):
    client.force_login(receptionist)
    form = client.get(reverse("reporting:gp_extract")).context["form"]
    period = gp_extract.default_period()
    assert form.cleaned_data["period"] == period
    assert form.cleaned_data["practice"] == receptionist.organisation
    assert period.end == date.today().replace(day=1) - timedelta(days=1)


def test_the_previous_calendar_month_crosses_the_year():
    assert gp_extract.default_period(date(2026, 1, 15)) == gp_extract.Period(
        start=date(2025, 12, 1), end=date(2025, 12, 31)
    )


def test_her_practice_is_the_only_choice(client, receptionist, october, other_practice):
    client.force_login(receptionist)
    form = client.get(reverse("reporting:gp_extract")).context["form"]
    assert list(form.fields["practice"].queryset) == [receptionist.organisation]


def test_another_practices_extract_is_not_found(client, receptionist, other_practice, october):
    client.force_login(receptionist)
    assert client.get(csv_url("W90002"), OCTOBER).status_code == 404
    assert client.get(csv_url("W00000"), OCTOBER).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_another_practice_cannot_be_chosen_on_the_page(client, receptionist, other_practice):
    client.force_login(receptionist)
    response = client.get(reverse("reporting:gp_extract"), {"practice": "W90002", **OCTOBER})
    assert response.context["count"] is None
    assert "practice" in response.context["form"].errors


def test_osian_gets_only_his_own_practices_rows(client, outsider_receptionist, october):
    client.force_login(outsider_receptionist)
    rows = rows_of(client.get(csv_url("W90002"), OCTOBER))
    assert len(rows) == 2
    assert rows[1].startswith("W90002,") and ",SP-BRYN01,2026-10-07," in rows[1]


def test_the_first_contact_made_through_the_services_is_coded_as_accepted_then_declined(
    client, receptionist, practice, scheme, link_worker
):
    """The link worker reaches Mair (contact_log starts the case), then she declines."""
    from linkworkers.services import contact_log

    referral = referred(practice=practice, scheme=scheme, when=at(2026, 10, 1))
    referral.status, referral.link_worker = Status.ALLOCATED, link_worker
    referral.allocated_at = at(2026, 10, 2)
    referral.save()
    reached = at(2026, 10, 5)
    contact_log(
        referral=referral, actor=link_worker, happened_at=reached, mode="phone",
        outcome="reached", minutes=20, notes="Mair is keen to try a walking group.",
    )  # fmt: skip
    referral.refresh_from_db()
    referral_services.referral_close(
        referral=referral, actor=link_worker, reason=ClosureReason.DECLINED,
        summary="Mair would rather not go ahead for now.",
    )  # fmt: skip
    today = date.today().isoformat()
    client.force_login(receptionist)
    rows = rows_of(client.get(csv_url(), {"from": "2026-10-01", "to": today}))
    assert [row.split(",")[6:] for row in rows[1:]] == [
        ["2026-10-05", *ACCEPTED.split(",")],
        [date.today().isoformat(), *DECLINED.split(",")],
    ]
    assert "would rather" not in "".join(rows) and "keen" not in "".join(rows)  # no free text


def test_a_referral_that_only_arrived_is_not_coded(client, receptionist, practice, scheme):
    referral = referred(practice=practice, scheme=scheme, when=at(2026, 10, 1))
    moved(referral, to_status=Status.ACCEPTED, when=at(2026, 10, 2))
    moved(referral, to_status=Status.ALLOCATED, from_status=Status.ACCEPTED, when=at(2026, 10, 3))
    client.force_login(receptionist)
    assert rows_of(client.get(csv_url(), OCTOBER)) == [HEADER]


def test_a_case_resumed_or_reopened_is_not_accepted_again(
    client, receptionist, practice, scheme, link_worker
):
    referral = referred(practice=practice, scheme=scheme, when=at(2026, 10, 1))
    started(referral, when=at(2026, 10, 2), link_worker=link_worker)
    moved(referral, to_status=Status.ON_HOLD, from_status=Status.IN_PROGRESS, when=at(2026, 10, 3))
    moved(referral, to_status=Status.IN_PROGRESS, from_status=Status.ON_HOLD, when=at(2026, 10, 9))
    closed(referral, reason=ClosureReason.COMPLETED, when=at(2026, 10, 20), link_worker=link_worker)
    referral.status, referral.closure_reason, referral.closed_at = Status.IN_PROGRESS, "", None
    referral.save()
    moved(referral, to_status=Status.IN_PROGRESS, from_status=Status.CLOSED, when=at(2026, 10, 22))
    client.force_login(receptionist)
    rows = rows_of(client.get(csv_url(), OCTOBER))
    assert [row.split(",", 6)[6] for row in rows[1:]] == [f"2026-10-02,{ACCEPTED}"]


@pytest.mark.parametrize("gp_feedback", ["everything", "coded_only"])
def test_either_choice_gets_coded_rows_and_never_words(
    client, receptionist, practice, scheme, link_worker, gp_feedback
):
    """The person's choice of what goes back to the GP: the extract holds codes only, so both
    choices get the same rows and neither gets a word of the closure summary or a note."""
    words = "Glenys sings in the chapel choir again; review her low mood."
    referral = referred(
        practice=practice, scheme=scheme, when=at(2026, 10, 1), gp_feedback=gp_feedback
    )
    referral.status, referral.link_worker = Status.IN_PROGRESS, link_worker
    referral.save()
    referral_services.referral_close(
        referral=referral, actor=link_worker, reason=ClosureReason.DECLINED, summary=words,
    )  # fmt: skip
    today = date.today().isoformat()
    client.force_login(receptionist)
    response = client.get(csv_url(), {"from": "2026-10-01", "to": today})
    rows = rows_of(response)
    assert rows[0] == HEADER
    # (Put in progress by hand, so there is no taking-up to code: only the decline.)
    assert [row.split(",")[-3:] for row in rows[1:]] == [DECLINED.split(",")]
    text = response.content.decode()
    for fragment in ("chapel choir", "low mood", "Glenys sings"):
        assert fragment not in text
    page = client.get(
        reverse("reporting:gp_extract"), {"practice": "W90001", "from": "2026-10-01", "to": today}
    )
    assert "chapel choir" not in page.content.decode()


def test_a_reopened_closure_is_no_longer_declined(
    client, receptionist, practice, scheme, link_worker
):
    referral = referred(practice=practice, scheme=scheme, when=at(2026, 10, 1))
    closed(referral, reason=ClosureReason.DECLINED, when=at(2026, 10, 2), link_worker=link_worker)
    # She changed her mind: the link worker reopened the case, which clears the reason. This
    # is her first time in progress: she has accepted now.
    referral.status, referral.closure_reason, referral.closed_at = Status.IN_PROGRESS, "", None
    referral.first_contact_at = at(2026, 10, 3)
    referral.save()
    moved(referral, to_status=Status.IN_PROGRESS, from_status=Status.CLOSED, when=at(2026, 10, 3))
    client.force_login(receptionist)
    rows = rows_of(client.get(csv_url(), OCTOBER))
    assert [row.rsplit(",", 1)[1] for row in rows[1:]] == ["accepted_by_person"]


def test_other_closures_are_not_coded(client, receptionist, practice, scheme, link_worker):
    for reason in ClosureReason.values:
        if reason != ClosureReason.DECLINED:
            referral = referred(practice=practice, scheme=scheme, when=at(2026, 10, 1))
            closed(referral, reason=reason, when=at(2026, 10, 2), link_worker=link_worker)
    client.force_login(receptionist)
    assert rows_of(client.get(csv_url(), OCTOBER)) == [HEADER]


def test_a_name_cannot_become_a_spreadsheet_formula(
    client, receptionist, practice, scheme, link_worker
):
    referral = referred(practice=practice, scheme=scheme, when=at(2026, 10, 1),
                        person=person("=HYPERLINK(1)", "Jones", date(1970, 1, 1)))  # fmt: skip
    started(referral, when=at(2026, 10, 2), link_worker=link_worker)
    client.force_login(receptionist)
    rows = rows_of(client.get(csv_url(), OCTOBER))
    assert ",Jones,'=HYPERLINK(1)," in rows[1]


def test_a_person_without_an_nhs_number_has_an_empty_cell(
    client, receptionist, practice, scheme, link_worker
):
    nobody = PersonFactory(nhs_number=None, given_name="Ceri", family_name="Bevan")
    referral = referred(practice=practice, scheme=scheme, when=at(2026, 10, 1), person=nobody)
    started(referral, when=at(2026, 10, 2), link_worker=link_worker)
    client.force_login(receptionist)
    assert rows_of(client.get(csv_url(), OCTOBER))[1].startswith("W90001,,Bevan,Ceri,")


# Bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"to": "2026-10-31"}, "from", "Enter the from date."),
        ({"from": "2026-10-01"}, "to", "Enter the to date."),
        (
            {"from": "01/10/2026", "to": "2026-10-31"},
            "from",
            "Enter the from date as YYYY-MM-DD, for example 2026-04-01.",
        ),
        (
            {"from": "2026-10-01", "to": "2026-02-30"},
            "to",
            "Enter the to date as YYYY-MM-DD, for example 2026-04-30.",
        ),
        (
            {"from": "2026-10-31", "to": "2026-10-01"},
            "to",
            "The to date must not be before the from date.",
        ),
        (
            {"from": "2025-10-01", "to": "2026-10-01"},
            "to",
            "The period can be a year at most: choose a to date within a year of the from date.",
        ),
    ],
)
def test_bad_dates_give_a_clear_error_and_no_file(
    client, receptionist, october, query, field, message
):
    client.force_login(receptionist)
    response = client.get(csv_url(), query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert response.context["form"].errors[field] == [message]
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_whole_year_is_allowed(client, receptionist, october):
    client.force_login(receptionist)
    response = client.get(csv_url(), {"from": "2026-01-01", "to": "2026-12-31"})
    assert response.status_code == 200
    assert len(rows_of(response)) == 1 + 7  # October's six and November's first contact


def test_september_does_not_hold_what_was_recorded_in_october(client, receptionist, october):
    """Ffion accepted on 29 September, logged on 2 October: in October's drop only."""
    client.force_login(receptionist)
    response = client.get(csv_url(), {"from": "2026-09-01", "to": "2026-09-30"})
    assert rows_of(response) == [HEADER]


def test_the_download_takes_only_get(client, receptionist):
    client.force_login(receptionist)
    assert client.post(csv_url(), OCTOBER).status_code == 405


# Carys, the coordinator ------------------------------------------------------


def test_carys_downloads_what_afon_surgery_referred_to_her_scheme(client, coordinator, october):
    client.force_login(coordinator)
    rows = rows_of(client.get(csv_url(), OCTOBER))
    # Alys went to another scheme, so her referral is not Carys's to pass on.
    assert rows == [
        HEADER,
        line(october["ffion"], "2026-09-29", ACCEPTED),
        line(october["huw"], "2026-10-01", ACCEPTED),
        line(october["owain"], "2026-10-05", DECLINED),
        line(october["mair"], "2026-10-06", ACCEPTED),
        line(october["mair"], "2026-10-20", DECLINED),
    ]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == coordinator
    assert event.detail == "GP extract for practice W90001, 2026-10-01 to 2026-10-31, 5 rows"


def test_carys_chooses_among_the_practices_that_referred_to_her_scheme(
    client, coordinator, october
):
    client.force_login(coordinator)
    form = client.get(reverse("reporting:gp_extract")).context["form"]
    assert [p.ods_code for p in form.fields["practice"].queryset] == ["W90001", "W90002"]
    rows = rows_of(client.get(csv_url("W90002"), OCTOBER))
    assert len(rows) == 2


def test_a_practice_that_never_referred_to_her_scheme_is_not_found(
    client, other_coordinator, october
):
    # Olwen's scheme had only Alys from Afon Surgery; Bryn never referred there.
    client.force_login(other_coordinator)
    assert client.get(csv_url("W90002"), OCTOBER).status_code == 404
    rows = rows_of(client.get(csv_url("W90001"), OCTOBER))
    assert rows == [HEADER, line(october["alys"], "2026-10-14", ACCEPTED)]


def test_a_coordinator_with_no_referring_practices_is_told_so(client, other_coordinator):
    client.force_login(other_coordinator)
    response = client.get(reverse("reporting:gp_extract"))
    assert response.status_code == 200
    assert "No GP practice has referred to your scheme yet." in response.content.decode()


# Everyone else -----------------------------------------------------------------


@pytest.mark.parametrize(
    "who",
    [
        "commissioner",
        "link_worker",
        "provider_staff",
        "peer_navigator",
        "housing_officer",
        "administrator",
    ],
)
def test_other_roles_are_refused(client, request, october, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("reporting:gp_extract")).status_code == 403
    assert client.get(csv_url(), OCTOBER).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get(csv_url(), OCTOBER)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# Links, Welsh, and the cost of a download --------------------------------------


def test_rhians_home_page_links_to_the_extract(client, receptionist):
    client.force_login(receptionist)
    assert reverse("reporting:gp_extract") in client.get(reverse("home")).content.decode()


def test_a_housing_officers_home_page_does_not(client, housing_officer):
    client.force_login(housing_officer)
    assert reverse("reporting:gp_extract") not in client.get(reverse("home")).content.decode()


def test_carys_home_page_links_to_the_extract(client, coordinator):
    client.force_login(coordinator)
    assert reverse("reporting:gp_extract") in client.get(reverse("home")).content.decode()


def test_the_page_is_there_in_welsh_and_the_file_keeps_its_machine_headers(
    client, receptionist, october
):
    client.force_login(receptionist)
    # The middleware leaves Welsh active in this thread: put English back for the next test.
    with translation.override("en"):
        page = client.get("/cy/reporting/gp-extract/", {"practice": "W90001", **OCTOBER})
        response = client.get("/cy/reporting/gp-extract/W90001.csv", OCTOBER)
    assert page.status_code == 200
    assert '<html lang="cy"' in page.content.decode()
    assert rows_of(response)[0] == HEADER


def test_the_download_costs_the_same_queries_for_2_or_20_referrals(
    client, receptionist, practice, scheme, link_worker
):
    def queries_for(count):
        for n in range(count):
            referral = referred(practice=practice, scheme=scheme, when=at(2026, 9, 1 + n % 28))
            started(referral, when=at(2026, 10, 1 + n % 28), link_worker=link_worker)
        with CaptureQueriesContext(connection) as context:
            response = client.get(csv_url(), OCTOBER)
        assert len(rows_of(response)) == 1 + count
        return len(context.captured_queries)

    client.force_login(receptionist)
    two = queries_for(2)
    ReferralEvent.objects.all().delete()
    assert queries_for(20) == two
