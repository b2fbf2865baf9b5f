"""Dewi, Teg Valley's DPO, reads his scheme's audit trail, and only his scheme's."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, AuditSubject
from accounts.services import audit_record, audit_view
from referrals.models import Person
from tests.factories import PersonFactory, ReferralFactory, UserFactory
from tests.privacy.conftest import at, local

pytestmark = pytest.mark.django_db

URL = reverse("privacy:audit")


def _rows(response):
    return response.context["rows"]


def _details(response):
    return [row.event.detail for row in _rows(response)]


@pytest.fixture
def trail(dpo, gp, coordinator, link_worker, outsider_coordinator, glenys, bethan,
          partner_system, glenys_referral, bethan_referral):  # fmt: skip
    """A morning's events across two schemes."""
    with at(local(2026, 3, 2, 9, 0)):
        audit_view(actor=link_worker, what="Llinos reads Glenys", people=[glenys],
                   records=[glenys_referral.reference])  # fmt: skip
    with at(local(2026, 3, 3, 9, 0)):
        audit_record(actor=coordinator, action=AuditEvent.Action.LOGIN, detail="Carys signs in")
    with at(local(2026, 3, 4, 9, 0)):
        audit_view(actor=gp, what="Gwen's list", people=[glenys, bethan],
                   records=[glenys_referral.reference, bethan_referral.reference])  # fmt: skip
    with at(local(2026, 3, 5, 9, 0)):
        audit_view(actor=None, api_client=partner_system, what="API read of Glenys",
                   people=[glenys], records=[glenys_referral.reference])  # fmt: skip
    with at(local(2026, 3, 6, 9, 0)):
        audit_view(actor=gp, what="Gwen reads Bethan", people=[bethan],
                   records=[bethan_referral.reference])  # fmt: skip
        audit_view(actor=outsider_coordinator, what="Olwen reads Bethan", people=[bethan])
        audit_record(actor=outsider_coordinator, action=AuditEvent.Action.LOGIN,
                     detail="Olwen signs in")  # fmt: skip


def test_the_dpo_sees_the_scheme_users_and_everyone_who_named_the_schemes_people(
    client, dpo, trail
):
    client.force_login(dpo)
    response = client.get(URL)
    assert response.status_code == 200
    assert _details(response) == [
        "API read of Glenys", "Gwen's list", "Carys signs in", "Llinos reads Glenys",
    ]  # fmt: skip


def test_another_schemes_dpo_sees_only_theirs(client, outsider_dpo, trail):
    client.force_login(outsider_dpo)
    details = _details(client.get(URL))
    assert "Olwen reads Bethan" in details
    assert "Gwen reads Bethan" in details
    assert "Llinos reads Glenys" not in details
    assert "API read of Glenys" not in details


def test_a_row_shows_only_the_schemes_people_and_references(client, dpo, trail, glenys):
    client.force_login(dpo)
    response = client.get(URL)
    gwens_list = next(row for row in _rows(response) if row.event.detail == "Gwen's list")
    assert gwens_list.people == [glenys]
    assert gwens_list.others == 1
    assert gwens_list.records == ["SP-GLENYS1"]
    page = response.content.decode()
    assert "SP-BETHAN1" not in page
    assert "Bethan" not in page
    assert "and 1 person outside this scheme" in page
    assert reverse("privacy:person", args=[glenys.uuid]) in page


def test_a_partner_systems_read_names_the_system(client, dpo, trail):
    client.force_login(dpo)
    page = client.get(URL).content.decode()
    assert "Afon GP system" in page
    assert "Partner system, Afon Surgery (W90001)" in page


@pytest.mark.parametrize(
    "who",
    ["referrer", "coordinator", "link_worker", "other_link_worker", "outsider_referrer",
     "outsider_coordinator", "provider", "commissioner", "admin", "peer_navigator"],
)  # fmt: skip
@pytest.mark.parametrize(
    "page", ["privacy:audit", "privacy:audit_csv", "privacy:unusual", "privacy:unusual_csv"]
)
def test_every_other_role_gets_404(client, everyone, trail, who, page):
    client.force_login(everyone[who])
    before = AuditEvent.objects.count()
    assert client.get(reverse(page)).status_code == 404
    assert AuditEvent.objects.count() == before


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_dpo_without_an_organisation_gets_404(client, dpo):
    dpo.organisation = None
    dpo.save()
    client.force_login(dpo)
    assert client.get(URL).status_code == 404


# Filters ----------------------------------------------------------------------------


def test_by_person_with_a_reference(client, dpo, trail):
    client.force_login(dpo)
    response = client.get(URL, {"person": "sp-glenys1"})
    assert _details(response) == ["API read of Glenys", "Gwen's list", "Llinos reads Glenys"]


def test_by_person_with_an_nhs_number_typed_with_spaces(client, dpo, trail):
    client.force_login(dpo)
    response = client.get(URL, {"person": "999 888 7771"})
    assert _details(response) == ["API read of Glenys", "Gwen's list", "Llinos reads Glenys"]


def test_by_person_includes_the_records_merged_into_them(client, dpo, glenys, link_worker):
    older = PersonFactory(merged_into=glenys, merged_at=timezone.now())
    audit_view(actor=link_worker, what="before the merge", people=[older])
    client.force_login(dpo)
    assert _details(client.get(URL, {"person": "SP-GLENYS1"})) == ["before the merge"]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("SP-BETHAN1", "No one referred to this scheme has that reference or NHS number."),
        ("SP-NOSUCH9", "No one referred to this scheme has that reference or NHS number."),
        ("Glenys", "Enter an SP- reference, such as SP-ABC123, or a 10-digit NHS number."),
        ("١٢٣", "Enter an SP- reference, such as SP-ABC123, or a 10-digit NHS number."),
    ],
)
def test_by_person_someone_not_in_the_scheme_shows_nothing(client, dpo, trail, typed, error):
    client.force_login(dpo)
    response = client.get(URL, {"person": typed})
    assert response.status_code == 200
    assert _rows(response) == []
    assert error in response.content.decode()


def test_by_user(client, dpo, trail, coordinator):
    client.force_login(dpo)
    response = client.get(URL, {"user": str(coordinator.uuid)})
    assert _details(response) == ["Carys signs in"]


def test_by_user_refuses_someone_outside_the_scheme(client, dpo, trail, outsider_coordinator):
    client.force_login(dpo)
    response = client.get(URL, {"user": str(outsider_coordinator.uuid)})
    assert _rows(response) == []
    assert "Select a valid choice" in response.content.decode()


def test_by_action(client, dpo, trail):
    client.force_login(dpo)
    assert _details(client.get(URL, {"action": "login"})) == ["Carys signs in"]


def test_by_dates_both_days_included(client, dpo, trail):
    client.force_login(dpo)
    response = client.get(URL, {"date_from": "2026-03-03", "date_to": "2026-03-04"})
    assert _details(response) == ["Gwen's list", "Carys signs in"]


def test_a_day_is_a_uk_day_in_summer_time(client, dpo, link_worker, glenys):
    # 23:30 UK time on 1 July is 22:30 UTC: still 1 July here.
    with at(local(2026, 7, 1, 23, 30)):
        audit_view(actor=link_worker, what="late", people=[glenys])
    client.force_login(dpo)
    assert _details(client.get(URL, {"date_from": "2026-07-01", "date_to": "2026-07-01"})) == [
        "late"
    ]
    assert _details(client.get(URL, {"date_from": "2026-07-02", "date_to": "2026-07-02"})) == []


def test_a_backwards_period_is_explained(client, dpo, trail):
    client.force_login(dpo)
    response = client.get(URL, {"date_from": "2026-03-04", "date_to": "2026-03-01"})
    assert _rows(response) == []
    assert "The to date must not be before the from date." in response.content.decode()


def test_it_pages_fifty_at_a_time(client, dpo, link_worker):
    for n in range(55):
        audit_record(actor=link_worker, action=AuditEvent.Action.LOGIN, detail=f"sign-in {n}")
    client.force_login(dpo)
    first = client.get(URL, {"action": "login"})
    assert len(_rows(first)) == 50
    second = client.get(URL, {"action": "login", "page": "2"})
    assert len(_rows(second)) == 5
    assert _details(second)[-1] == "sign-in 0"
    assert "action=login&amp;page=1" in second.content.decode()


# Finding a person ---------------------------------------------------------------------


def test_finding_a_person_by_reference(client, dpo, glenys):
    client.force_login(dpo)
    response = client.get(URL, {"find": "SP-GLENYS1"})
    assert response.context["found"] == [glenys]
    page = response.content.decode()
    assert reverse("privacy:person", args=[glenys.uuid]) in page
    assert reverse("privacy:person_audit", args=[glenys.uuid]) in page


def test_finding_someone_of_another_scheme_finds_no_one(client, dpo, bethan):
    client.force_login(dpo)
    response = client.get(URL, {"find": bethan.nhs_number})
    assert response.context["found"] == []
    assert "No one referred to this scheme has that reference" in response.content.decode()


# The viewer is audited -----------------------------------------------------------------


def test_opening_the_trail_is_audited_naming_the_people_shown(client, dpo, trail, glenys):
    client.force_login(dpo)
    client.get(URL)
    own = AuditEvent.objects.filter(actor=dpo).latest("pk")
    assert own.action == AuditEvent.Action.VIEW
    assert own.detail == "audit trail"
    assert own.path == URL
    assert set(AuditSubject.objects.filter(event=own).values_list("person_uuid", flat=True)) == {
        glenys.uuid
    }
    assert own.records == ["SP-GLENYS1"]


def test_the_dpos_own_reads_show_in_the_trail(client, dpo, trail):
    client.force_login(dpo)
    client.get(URL)
    assert _details(client.get(URL))[0] == "audit trail"


def test_a_person_found_is_named_in_the_audit_row(client, dpo, glenys):
    client.force_login(dpo)
    client.get(URL, {"find": "SP-GLENYS1"})
    own = AuditEvent.objects.filter(actor=dpo).latest("pk")
    assert list(own.subjects.values_list("person_uuid", flat=True)) == [glenys.uuid]


# Query counts ------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_rows(
    client, dpo, scheme, gp, link_worker, partner_system, django_assert_num_queries
):
    def add(n):
        for _ in range(n):
            referral = ReferralFactory(scheme=scheme)
            audit_view(actor=link_worker, what="read", people=[referral.person],
                       records=[referral.reference])  # fmt: skip
            audit_view(actor=gp, what="list", people=[referral.person, PersonFactory()],
                       records=[referral.reference, "SP-ELSE001"])  # fmt: skip
            audit_view(actor=None, api_client=partner_system, what="api",
                       people=[referral.person])  # fmt: skip

    add(2)
    client.force_login(dpo)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    add(15)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert len(_rows(response)) == 50


def test_merged_people_are_shown_as_the_record_they_joined(client, dpo, glenys, link_worker):
    older = PersonFactory(given_name="Glen", merged_into=glenys, merged_at=timezone.now())
    audit_view(actor=link_worker, what="before the merge", people=[older])
    client.force_login(dpo)
    (row,) = [r for r in _rows(client.get(URL)) if r.event.detail == "before the merge"]
    assert row.people == [glenys]
    assert Person.objects.get(pk=older.pk).merged_into == glenys


def test_old_events_stay_in_order_newest_first(client, dpo, link_worker):
    now = timezone.now()
    for days in (3, 1, 2):
        with at(now - timedelta(days=days)):
            audit_record(actor=link_worker, action=AuditEvent.Action.LOGIN, detail=f"{days}")
    client.force_login(dpo)
    assert _details(client.get(URL)) == ["1", "2", "3"]


def test_a_user_of_the_dpos_own_organisation_without_a_link_worker_profile_counts(
    client, dpo, scheme
):
    volunteer = UserFactory(role="peer_navigator", organisation=scheme)
    audit_record(actor=volunteer, action=AuditEvent.Action.LOGIN, detail="Nia signs in")
    client.force_login(dpo)
    assert _details(client.get(URL)) == ["Nia signs in"]


# Hostile input ------------------------------------------------------------------------


def test_an_nhs_number_in_another_scripts_digits_finds_the_person(client, dpo, trail):
    client.force_login(dpo)
    response = client.get(URL, {"person": "٩٩٩٨٨٨٧٧٧١"})
    assert _details(response) == ["API read of Glenys", "Gwen's list", "Llinos reads Glenys"]


@pytest.mark.parametrize("page", ["999999", "-1", "abc", "1e9", "٢"])
def test_any_page_number_answers_a_page(client, dpo, trail, page):
    client.force_login(dpo)
    assert client.get(URL, {"page": page}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"user": "not-a-uuid"},
        {"user": "00000000-0000-0000-0000-000000000000"},
        {"action": "drop table"},
        {"date_from": "2026-02-30"},
        {"person": "x" * 5000},
    ],
)
def test_nonsense_filters_are_refused_with_a_message_never_a_500(client, dpo, trail, params):
    client.force_login(dpo)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert _rows(response) == []
    assert "invalid-feedback" in response.content.decode()


def test_a_malformed_uuid_in_the_address_is_404(client, dpo):
    client.force_login(dpo)
    assert client.get("/audit/people/not-a-uuid/").status_code == 404
    assert client.get("/audit/users/12345/").status_code == 404
