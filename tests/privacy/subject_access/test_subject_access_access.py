"""Who may open Glenys's subject access page and download her bundle: the scheme's DPO and
coordinator; everyone else, and the other scheme's, get 404. Every answer is audited."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, AuditSubject

pytestmark = pytest.mark.django_db

NAMES = ("privacy:subject_access", "privacy:subject_access_html", "privacy:subject_access_json")


@pytest.fixture
def everyone(dpo, coordinator, link_worker, gp, provider_user, commissioner, admin_user,
             outsider_coordinator, outsider_dpo):  # fmt: skip
    return {
        "dpo": dpo, "coordinator": coordinator, "link_worker": link_worker, "referrer": gp,
        "provider": provider_user, "commissioner": commissioner, "admin": admin_user,
        "outsider_coordinator": outsider_coordinator, "outsider_dpo": outsider_dpo,
    }  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("who", ["dpo", "coordinator"])
def test_the_schemes_dpo_and_coordinator_may(client, everyone, case, who, name):
    client.force_login(everyone[who])
    assert client.get(reverse(name, args=[case.person.uuid])).status_code == 200


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "who",
    ["link_worker", "referrer", "provider", "commissioner", "admin", "outsider_coordinator",
     "outsider_dpo"],
)  # fmt: skip
def test_everyone_else_gets_404(client, everyone, case, who, name):
    client.force_login(everyone[who])
    assert client.get(reverse(name, args=[case.person.uuid])).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.parametrize("name", NAMES)
def test_someone_not_there_is_404(client, dpo, case, name):
    client.force_login(dpo)
    url = reverse(name, args=["00000000-0000-0000-0000-000000000000"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", NAMES)
def test_it_needs_signing_in(client, case, name):
    response = client.get(reverse(name, args=[case.person.uuid]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", NAMES)
def test_it_takes_only_get(client, dpo, case, name):
    client.force_login(dpo)
    assert client.post(reverse(name, args=[case.person.uuid])).status_code == 405


def test_the_page_lists_what_the_bundle_holds_and_offers_both_files(client, dpo, glenys_record):
    client.force_login(dpo)
    response = client.get(reverse("privacy:subject_access", args=[glenys_record.uuid]))
    page = response.content.decode()
    assert "Glenys Pritchard" in page and "SP-GLEN01" in page and "SP-ELSE01" not in page
    counts = dict(response.context["counts"])
    assert counts["Referrals to this scheme"] == 1
    assert counts["Timeline entries (status changes, notes, messages)"] == 3
    assert counts["Outcome measures"] == 1
    assert counts["Possible-duplicate decisions"] == 2
    assert reverse("privacy:subject_access_html", args=[glenys_record.uuid]) in page
    assert reverse("privacy:subject_access_json", args=[glenys_record.uuid]) in page
    assert "Supervision notes" in page


def test_the_page_is_audited_as_one_view(client, dpo, case):
    client.force_login(dpo)
    client.get(reverse("privacy:subject_access", args=[case.person.uuid]))
    event = AuditEvent.objects.get(actor=dpo)
    assert (event.action, event.detail, event.records) == ("view", "subject access page",
                                                           ["SP-GLEN01"])  # fmt: skip
    assert list(event.subjects.values_list("person_uuid", flat=True)) == [case.person.uuid]


@pytest.mark.parametrize("name", NAMES[1:])
def test_each_download_is_audited_as_an_export(client, coordinator, case, name):
    client.force_login(coordinator)
    url = reverse(name, args=[case.person.uuid])
    client.get(url)
    client.get(url)
    events = AuditEvent.objects.filter(actor=coordinator, action=AuditEvent.Action.EXPORT)
    assert events.count() == 2
    event = events.first()
    assert event.detail == "subject access export; referrals SP-GLEN01"
    assert (event.object_type, event.object_id) == ("referrals.person", str(case.person.uuid))
    assert (event.records, event.path) == (["SP-GLEN01"], url)
    assert AuditSubject.objects.filter(event=event, person_uuid=case.person.uuid).exists()


def test_the_coordinator_finds_it_on_the_referral_page(client, coordinator, case):
    client.force_login(coordinator)
    page = client.get(reverse("referrals:detail", args=[case.uuid])).content.decode()
    assert reverse("privacy:subject_access", args=[case.person.uuid]) in page
    assert "Subject access export" in page


@pytest.mark.parametrize("who", ["link_worker", "referrer"])
def test_others_on_the_referral_page_do_not(client, everyone, case, who):
    client.force_login(everyone[who])
    response = client.get(reverse("referrals:detail", args=[case.uuid]))
    assert response.status_code == 200
    assert "subject-access" not in response.content.decode()
