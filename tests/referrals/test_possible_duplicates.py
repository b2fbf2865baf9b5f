"""Carys, coordinator of the Teg Valley scheme, decides whether two records are one person.

Rhian referred Glenys twice, the second time with another date of birth:
the second referral got a new record and a place in Carys's queue of
possible duplicates. Carys compares the two side by side and merges them, or
says they are not the same person, and can undo a merge. Olwen coordinates
another scheme; Llinos is a link worker, Rhian a referrer: none of them
finds the queue at all.
"""

from datetime import date

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, AuditSubject
from core.exceptions import InvalidTransition, Refused, StaleVersion
from referrals import services
from referrals.models import Person, PossibleDuplicate, Referral, ReferralEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GLENYS = {
    "given_name": "Glenys", "family_name": "Pritchard", "date_of_birth": date(1948, 3, 2),
    "nhs_number": "943 476 5919", "postcode": "CF10 1AA", "phone": "07700 900123",
}  # fmt: skip
REFERRAL = {
    "reasons": ["loneliness"], "what_matters": "Would like to sing again.",
    "consent_to_referral": True, "consent_to_share": True,
}  # fmt: skip


@pytest.fixture
def pair(gp_receptionist, scheme):
    services.referral_create(
        actor=gp_receptionist, person_details=GLENYS, referral_details=REFERRAL
    )
    services.referral_create(
        actor=gp_receptionist,
        person_details={**GLENYS, "date_of_birth": date(1948, 2, 3), "phone": "07700 900456"},
        referral_details=REFERRAL,
    )
    return PossibleDuplicate.objects.get()


def decide_url(pair, decision):
    return reverse("referrals:duplicate_decide", args=[pair.uuid, decision])


def test_carys_sees_the_queue(client, coordinator, pair):
    client.force_login(coordinator)
    response = client.get(reverse("referrals:duplicates"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [pair]
    assert pair.referral.reference in response.content.decode()


def test_the_queue_is_linked_from_her_menu_and_the_triage_page(client, coordinator):
    client.force_login(coordinator)
    url = reverse("referrals:duplicates")
    assert f'href="{url}"' in client.get(reverse("referrals:triage")).content.decode()
    assert f'href="{url}"' in client.get(reverse("home")).content.decode()


def test_the_queue_query_count_does_not_grow_with_the_rows(
    client, coordinator, pair, gp_receptionist
):
    client.force_login(coordinator)
    url = reverse("referrals:duplicates")
    client.get(url)  # the session and the menu's caches warm
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for day in (1, 2, 3):
        services.referral_create(
            actor=gp_receptionist, person_details={**GLENYS, "date_of_birth": date(1950, 1, day)},
            referral_details=REFERRAL,
        )  # fmt: skip
    assert PossibleDuplicate.objects.count() == 4
    for merged in PossibleDuplicate.objects.order_by("pk")[:2]:
        services.possible_duplicate_decide(
            duplicate=merged, actor=coordinator, decision="merge", expected_version=1
        )
    with CaptureQueriesContext(connection) as four:
        client.get(url)
    assert len(four) == len(one)


def test_she_compares_the_two_records_side_by_side(client, coordinator, pair):
    client.force_login(coordinator)
    response = client.get(reverse("referrals:duplicate", args=[pair.uuid]))
    page = response.content.decode()
    assert "2 March 1948" in page and "3 February 1948" in page
    assert "07700 900123" in page and "07700 900456" in page
    # One read, one audit row, naming both people and the referrals shown beside them.
    viewed = AuditEvent.objects.get(action="view", actor=coordinator)
    assert {s.person_uuid for s in viewed.subjects.all()} == {pair.person.uuid, pair.existing.uuid}
    assert pair.referral.reference in viewed.records


def test_she_merges_them(client, coordinator, pair):
    newer_referral = pair.referral
    client.force_login(coordinator)
    response = client.post(decide_url(pair, "merge"), {"version": 1})
    assert response.status_code == 302
    pair.refresh_from_db()
    newer_referral.refresh_from_db()
    assert pair.state == "merged" and pair.decided_by == coordinator
    assert newer_referral.person == pair.existing
    assert newer_referral.version == 2
    assert pair.moved_referrals == [newer_referral.pk]
    newer = Person.objects.get(pk=pair.person_id)
    assert newer.merged_into == pair.existing and newer.merged_at is not None
    # What Rhian typed stays with her referral.
    assert newer_referral.person_as_referred.date_of_birth == date(1948, 2, 3)


def test_a_merge_writes_the_audit_row_and_a_note_the_referrer_does_not_see(
    client, coordinator, pair
):
    client.force_login(coordinator)
    client.post(decide_url(pair, "merge"), {"version": 1})
    audit = AuditEvent.objects.get(action="change", actor=coordinator)
    assert audit.object_id == str(pair.person.uuid)
    assert "merge" in audit.detail and pair.referral.reference in audit.detail
    note = ReferralEvent.objects.filter(referral=pair.referral, kind="note").latest("pk")
    assert note.actor == coordinator and "Merged" in note.note
    assert not note.visible_to_referrer


def test_a_merged_record_is_not_listed_as_someone_else(client, coordinator, pair, admin_user):
    services.possible_duplicate_decide(
        duplicate=pair, actor=coordinator, decision="merge", expected_version=1
    )
    assert list(Person.objects.active()) == [pair.existing]
    request = RequestFactory().get("/")
    request.user = admin_user
    admin_people = site._registry[Person].get_queryset(request)
    assert list(admin_people) == [pair.existing]
    client.force_login(coordinator)
    listed = client.get(reverse("referrals:list")).context["page"].object_list
    assert {referral.person for referral in listed} == {pair.existing}


def test_she_says_they_are_not_the_same_person(client, coordinator, pair):
    client.force_login(coordinator)
    client.post(decide_url(pair, "not-the-same"), {"version": 1})
    pair.refresh_from_db()
    assert pair.state == "dismissed"
    assert Referral.objects.get(pk=pair.referral_id).person == pair.person
    assert AuditEvent.objects.filter(action="change", actor=coordinator).count() == 1
    note = ReferralEvent.objects.filter(referral=pair.referral, kind="note").latest("pk")
    assert "not the same person" in note.note and not note.visible_to_referrer
    client.get(reverse("referrals:duplicates"))
    response = client.get(reverse("referrals:duplicates"))
    assert list(response.context["page"].object_list) == []


def test_she_undoes_a_merge(client, coordinator, pair, gp_receptionist):
    client.force_login(coordinator)
    client.post(decide_url(pair, "merge"), {"version": 1})
    # A later referral linked to the surviving record stays there after the undo.
    later = services.referral_create(
        actor=gp_receptionist, person_details=GLENYS, referral_details=REFERRAL
    )
    response = client.post(decide_url(pair, "undo-merge"), {"version": 2})
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.state == "open" and pair.moved_referrals == []
    assert Referral.objects.get(pk=pair.referral_id).person == pair.person
    assert Referral.objects.get(pk=later.pk).person == pair.existing
    assert Person.objects.get(pk=pair.person_id).merged_into is None
    assert AuditEvent.objects.filter(action="change", actor=coordinator).count() == 2
    assert "undo-merge" in AuditEvent.objects.filter(actor=coordinator).latest("pk").detail
    note = ReferralEvent.objects.filter(referral=pair.referral, kind="note").latest("pk")
    assert "undid a merge" in note.note


def test_a_decision_made_on_an_old_view_is_refused(client, coordinator, pair, scheme):
    ffion = UserFactory(username="ffion", role="coordinator", organisation=scheme)
    services.possible_duplicate_decide(
        duplicate=pair, actor=ffion, decision="not-the-same", expected_version=1
    )
    client.force_login(coordinator)
    response = client.post(decide_url(pair, "merge"), {"version": 1}, follow=True)
    assert "Someone decided on these two records" in response.content.decode()
    pair.refresh_from_db()
    assert pair.state == "dismissed" and pair.decided_by == ffion
    assert Referral.objects.get(pk=pair.referral_id).person == pair.person


def test_the_service_refuses_a_stale_version_and_a_second_merge(coordinator, pair):
    with pytest.raises(StaleVersion):
        services.possible_duplicate_decide(
            duplicate=pair, actor=coordinator, decision="merge", expected_version=7
        )
    services.possible_duplicate_decide(
        duplicate=pair, actor=coordinator, decision="merge", expected_version=1
    )
    with pytest.raises(InvalidTransition, match="already decided"):
        services.possible_duplicate_decide(
            duplicate=pair, actor=coordinator, decision="merge", expected_version=2
        )


def test_there_is_nothing_to_undo_before_a_merge(coordinator, pair):
    with pytest.raises(InvalidTransition, match="nothing to undo"):
        services.possible_duplicate_decide(
            duplicate=pair, actor=coordinator, decision="undo-merge", expected_version=1
        )


@pytest.mark.parametrize("decision", ["merge", "not-the-same", "undo-merge"])
def test_it_rejects_get(client, coordinator, pair, decision):
    client.force_login(coordinator)
    assert client.get(decide_url(pair, decision)).status_code == 405
    pair.refresh_from_db()
    assert pair.state == "open"


def test_an_unknown_decision_is_not_found(client, coordinator, pair):
    client.force_login(coordinator)
    assert client.post(decide_url(pair, "delete"), {"version": 1}).status_code == 404


def test_a_missing_version_changes_nothing(client, coordinator, pair):
    client.force_login(coordinator)
    response = client.post(decide_url(pair, "merge"), {}, follow=True)
    assert "out of date" in response.content.decode()
    pair.refresh_from_db()
    assert pair.state == "open"


def test_another_schemes_coordinator_finds_nothing(client, outsider_coordinator, pair):
    client.force_login(outsider_coordinator)
    assert client.get(reverse("referrals:duplicate", args=[pair.uuid])).status_code == 404
    assert client.post(decide_url(pair, "merge"), {"version": 1}).status_code == 404
    response = client.get(reverse("referrals:duplicates"))
    assert list(response.context["page"].object_list) == []
    pair.refresh_from_db()
    assert pair.state == "open"
    # The empty queue she opened is audited (README: a list is audited even when it shows
    # no one), and names no one.
    assert not AuditSubject.objects.filter(event__actor=outsider_coordinator).exists()


def test_the_service_refuses_another_schemes_coordinator(outsider_coordinator, pair):
    with pytest.raises(Refused, match="Only a coordinator of this scheme can decide this."):
        services.possible_duplicate_decide(
            duplicate=pair, actor=outsider_coordinator, decision="merge", expected_version=1
        )


@pytest.mark.parametrize(
    "role", ["referrer", "link_worker", "outsider_referrer", "provider", "commissioner"]
)
def test_other_roles_find_nothing(client, people, pair, role):
    client.force_login(people[role])
    assert client.get(reverse("referrals:duplicates")).status_code == 404
    assert client.get(reverse("referrals:duplicate", args=[pair.uuid])).status_code == 404
    assert client.post(decide_url(pair, "merge"), {"version": 1}).status_code == 404
    pair.refresh_from_db()
    assert pair.state == "open"


def test_signed_out_visitors_are_sent_to_sign_in(client, pair):
    response = client.get(reverse("referrals:duplicates"))
    assert response.status_code == 302 and "login" in response["Location"]
