"""Dewi downloads what he sees as CSV: the same rows and filters, audited, formulas defused."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services import audit_view
from tests.factories import ReferralFactory, UserFactory
from tests.privacy.conftest import at, local

pytestmark = pytest.mark.django_db


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.fixture
def reads(gp, link_worker, glenys, bethan, glenys_referral, bethan_referral):
    with at(local(2026, 3, 3, 10, 30, 5)):
        audit_view(actor=link_worker, what="case", people=[glenys],
                   records=[glenys_referral.reference])  # fmt: skip
    with at(local(2026, 3, 4, 9, 0)):
        audit_view(actor=gp, what="list", people=[glenys, bethan],
                   records=[glenys_referral.reference, bethan_referral.reference])  # fmt: skip


def test_the_trail_as_csv(client, dpo, reads, glenys):
    client.force_login(dpo)
    lines = _csv(client.get(reverse("privacy:audit_csv"), {"user": ""}))
    assert [line["Detail"] for line in lines] == ["list", "case"]
    case = lines[1]
    assert case["When"] == "2026-03-03 10:30:05"
    assert case["Who"] == "Llinos Watkins"
    assert case["Role"] == "Link worker"
    assert case["Organisation"] == "Teg Valley Community Connectors"
    assert case["What"] == "View"
    assert case["People"] == "Glenys Pritchard"
    assert case["People's identifiers"] == str(glenys.uuid)
    assert case["Records"] == "SP-GLENYS1"
    gwens = lines[0]
    assert (gwens["People"], gwens["People outside this scheme"], gwens["Records"]) == (
        "Glenys Pritchard", "1", "SP-GLENYS1",
    )  # fmt: skip


def test_the_csv_takes_the_same_filters(client, dpo, reads, gp):
    client.force_login(dpo)
    response = client.get(reverse("privacy:audit_csv"), {"person": "SP-GLENYS1",
                                                         "date_from": "2026-03-04"})  # fmt: skip
    assert [line["Detail"] for line in _csv(response)] == ["list"]
    url = reverse("privacy:user_audit_csv", args=[gp.uuid])
    assert [line["Who"] for line in _csv(client.get(url))] == ["Gwen Parry"]


def test_a_persons_history_as_csv(client, dpo, reads, glenys):
    client.force_login(dpo)
    url = reverse("privacy:person_audit_csv", args=[glenys.uuid])
    lines = _csv(client.get(url, {"date_to": "2026-03-03"}))
    assert [line["Detail"] for line in lines] == ["case"]


def test_the_download_is_audited_as_an_export_naming_the_people_in_it(client, dpo, reads, glenys):
    client.force_login(dpo)
    client.get(reverse("privacy:audit_csv"), {"action": "view"})
    export = AuditEvent.objects.filter(actor=dpo).latest("pk")
    assert export.action == AuditEvent.Action.EXPORT
    assert export.detail == "audit trail CSV: 2 events"
    assert export.path == reverse("privacy:audit_csv") + "?action=view"
    assert list(export.subjects.values_list("person_uuid", flat=True)) == [glenys.uuid]
    assert export.records == ["SP-GLENYS1"]


def test_the_audit_row_of_the_download_is_in_the_next_download(client, dpo, reads):
    client.force_login(dpo)
    client.get(reverse("privacy:audit_csv"))
    lines = _csv(client.get(reverse("privacy:audit_csv")))
    assert (lines[0]["What"], lines[0]["Who"]) == ("Export", "Dewi Lloyd")


def test_formulas_are_neutralised(client, dpo, scheme):
    mallory = UserFactory(first_name="=HYPERLINK(\"http://evil\")", last_name="x",
                          role="link_worker", organisation=scheme)  # fmt: skip
    referral = ReferralFactory(scheme=scheme, person__given_name="+cmd|' /C calc'!A0",
                               person__family_name="Jones")  # fmt: skip
    audit_view(actor=mallory, what="@SUM(1+1)", people=[referral.person])
    audit_view(actor=mallory, what="-2+3", people=[referral.person])
    client.force_login(dpo)
    lines = _csv(client.get(reverse("privacy:audit_csv"), {"user": str(mallory.uuid)}))
    assert [line["Detail"] for line in lines] == ["'-2+3", "'@SUM(1+1)"]
    assert lines[0]["Who"] == '\'=HYPERLINK("http://evil") x'
    assert lines[0]["People"] == "'+cmd|' /C calc'!A0 Jones"
    for line in lines:
        for value in line.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_a_bad_filter_gives_the_page_and_no_file(client, dpo, reads):
    client.force_login(dpo)
    response = client.get(reverse("privacy:audit_csv"), {"person": "SP-NOSUCH9"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(actor=dpo, action=AuditEvent.Action.EXPORT).exists()


def test_the_unusual_access_page_as_csv(client, dpo, link_worker, glenys_referral):
    with at(local(2026, 3, 7, 23, 5)):
        audit_view(actor=link_worker, what="case", people=[glenys_referral.person])
    client.force_login(dpo)
    response = client.get(reverse("privacy:unusual_csv"),
                          {"date_from": "2026-03-01", "date_to": "2026-03-31"})  # fmt: skip
    (line,) = _csv(response)
    assert line == {
        "Day": "2026-03-07", "Who": "Llinos Watkins", "Role": "Link worker",
        "Organisation": "Teg Valley Community Connectors",
        "Why it is flagged": "Read people's records at the weekend, outside working hours.",
        "People": "1", "Reads": "1", "First": "2026-03-07 23:05:00", "Last": "2026-03-07 23:05:00",
    }  # fmt: skip
    export = AuditEvent.objects.filter(actor=dpo).latest("pk")
    assert (export.action, export.detail) == (
        AuditEvent.Action.EXPORT, "unusual access CSV: 1 flagged days",
    )  # fmt: skip


@pytest.mark.parametrize("page", ["privacy:person_audit_csv", "privacy:user_audit_csv"])
def test_histories_as_csv_are_the_dpos_only(client, coordinator, glenys, link_worker, page):
    target = glenys.uuid if page == "privacy:person_audit_csv" else link_worker.uuid
    client.force_login(coordinator)
    assert client.get(reverse(page, args=[target])).status_code == 404
