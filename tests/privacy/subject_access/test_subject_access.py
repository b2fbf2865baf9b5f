"""Dilys, the data protection officer, gives Glenys a copy of all Teg Valley holds on her."""

import base64
import hashlib
import json
import re
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services import audit_record
from core.exceptions import Refused
from privacy.services.subject_access import subject_access_bundle
from referrals.services import referral_view_record
from tests.privacy.subject_access.conftest import ELSEWHERE, SUPERVISION_SECRET, worked_case

pytestmark = pytest.mark.django_db


def download(client, user, person, extension):
    client.force_login(user)
    url = reverse(f"privacy:subject_access_{extension}", args=[person.uuid])
    response = client.get(url)
    assert response.status_code == 200
    return response


def bundle_json(client, user, person):
    return json.loads(download(client, user, person, "json").content)


def bundle_html(client, user, person):
    return download(client, user, person, "html").content.decode()


def test_the_json_holds_every_kind_of_record(client, dpo, glenys_record, link_worker):
    bundle = bundle_json(client, dpo, glenys_record)
    assert bundle["format"] == "subject-access/1"
    assert bundle["scheme"]["name"] == "Teg Valley Community Connectors"
    person = bundle["person"]
    assert (person["given_name"], person["family_name"]) == ("Glenys", "Pritchard")
    assert (person["address"], person["email"]) == ("4 Heol y Bryn", "glenys@example.org")
    [referral] = bundle["referrals"]
    assert referral["reference"] == "SP-GLEN01"
    assert referral["status"] == {"code": "closed", "label": "Closed"}
    assert referral["what_matters"] == "She used to sing in a choir."
    assert referral["person_as_referred"]["family_name"] == "Pritchard"
    assert [event["note"] for event in referral["timeline"]] == [
        "", "Her daughter visits on Sundays.", "Social prescription emailed.",
    ]  # fmt: skip
    assert referral["timeline"][0]["to_status"]["code"] == "allocated"
    assert referral["timeline"][1]["who"] == "Llinos Watkins"
    [contact] = referral["contacts"]
    assert (contact["notes"], contact["outcome"]["code"]) == ("Talked about the choir.", "reached")
    assert referral["what_matters_conversation"]["what_matters"] == "Singing with others."
    [goal] = referral["goals"]
    assert (goal["description"], goal["progress_notes"]) == (
        "Join the Tuesday choir",
        "Went twice.",
    )
    [link] = referral["connections"]
    assert (link["service"], link["status"]["code"]) == ("Teg Valley Singers", "attending")
    assert link["attending_since"] and link["note_for_provider"] == "Shy."
    assert referral["unmet_needs"][0]["category"] == "Transport"
    [measure] = referral["outcome_measures"]
    assert measure["raw_score"] == 7
    assert [(a["question"], a["value"]) for a in measure["answers"]] == [
        ("How happy? 1", 3), ("How happy? 2", 4),
    ]  # fmt: skip
    [summary] = referral["closure_summaries"]
    assert (summary["outcomes"], summary["written_by"]) == ("Less lonely.", "Llinos Watkins")
    assert referral["peer_navigators"][0]["name"] == "Siân Hughes"
    [message] = bundle["messages"]
    assert (message["subject"], message["to"]) == ("Your social prescription", "glenys@example.org")
    assert message["referral"] == "SP-GLEN01"


def test_duplicate_decisions_show_only_what_is_hers(client, dpo, glenys_record):
    bundle = bundle_json(client, dpo, glenys_record)
    merged, dismissed = bundle["possible_duplicates"]
    assert merged["decision"]["code"] == "merged"
    assert merged["other_record"]["family_name"] == "Prichard"
    assert (dismissed["decision"]["code"], dismissed["other_record"]) == ("dismissed", None)
    assert [record["family_name"] for record in bundle["merged_records"]] == ["Prichard"]
    # Gwyneth is somebody else: her details are hers.
    text = json.dumps(bundle) + bundle_html(client, dpo, glenys_record)
    for hers in ("Gwyneth", "Ysgubor-Wen", "07700 900999"):
        assert hers not in text


def test_the_access_log_says_who_when_and_what(client, dpo, glenys_record, gp):
    log = bundle_json(client, dpo, glenys_record)["access_log"]
    gwen = next(row for row in log if row["who"] == "Gwen Parry")
    assert gwen["action"] == {"code": "view", "label": "View"}
    assert (gwen["role"]["code"], gwen["organisation"]) == ("referrer", "Afon Surgery (W90001)")
    assert (gwen["what"], gwen["records"]) == ("referral SP-GLEN01", ["SP-GLEN01"])
    assert datetime.fromisoformat(gwen["when"])
    # This export is in it too: written before the bundle is read.
    export = log[-1]
    assert (export["who"], export["action"]["code"]) == (str(dpo), "export")


def test_the_access_log_takes_rows_about_her_records_and_leaves_out_the_rest(
    client, dpo, glenys_record, case, elsewhere, gp, coordinator
):
    contact = case.contacts.get()
    audit_record(actor=coordinator, action=AuditEvent.Action.CHANGE, obj=contact,
                 detail="contact checked")  # fmt: skip
    # Gwen opens the Glannau referral too: Glannau's record, in Glannau's trail.
    referral_view_record(referral=elsewhere, actor=gp)
    # A supervision page that named Glenys is about Llinos's practice.
    audit_record(actor=coordinator, action=AuditEvent.Action.VIEW, people=[glenys_record],
                 detail="supervision notes of user 7: 1")  # fmt: skip
    log = bundle_json(client, dpo, glenys_record)["access_log"]
    whats = [row["what"] for row in log]
    assert "contact checked" in whats
    assert "referral SP-ELSE01" not in whats
    assert not any(what.startswith("supervision") for what in whats)


def test_dates_are_iso_8601(client, dpo, glenys_record):
    bundle = bundle_json(client, dpo, glenys_record)
    assert bundle["person"]["date_of_birth"] == "1948-03-02"
    referral = bundle["referrals"][0]
    for key in ("received_at", "allocated_at", "first_contact_at", "closed_at"):
        assert datetime.fromisoformat(referral[key].replace("Z", "+00:00")).tzinfo is not None
    assert date.fromisoformat(referral["outcome_measures"][0]["answered_on"])
    assert datetime.fromisoformat(bundle["produced_at"].replace("Z", "+00:00"))


def test_the_html_holds_the_same_records(client, dpo, glenys_record):
    html = bundle_html(client, dpo, glenys_record)
    for text in (
        "What Teg Valley Community Connectors holds about you", "Glenys Pritchard",
        "4 Heol y Bryn", "Referral SP-GLEN01", "She used to sing in a choir.",
        "Her daughter visits on Sundays.", "Talked about the choir.", "Singing with others.",
        "Join the Tuesday choir", "Teg Valley Singers", "No transport in the evening.",
        "How happy? 2", "Less lonely.", "Keep singing.", "Siân Hughes",
        "Come to the choir on Tuesday.", "Prichard", "Gwen Parry", "referral SP-GLEN01",
        "What is not included, and why",
    ):  # fmt: skip
        assert text in html, text


def test_supervision_notes_are_left_out_and_the_bundle_says_why(client, dpo, glenys_record):
    bundle = bundle_json(client, dpo, glenys_record)
    html = bundle_html(client, dpo, glenys_record)
    assert SUPERVISION_SECRET not in json.dumps(bundle, ensure_ascii=False)
    assert SUPERVISION_SECRET not in html
    assert not any("supervision" in row["what"] for row in bundle["access_log"])
    [why] = [part["why"] for part in bundle["left_out"] if part["what"] == "Supervision notes"]
    assert "about the member of staff, not about you" in why
    assert "Supervision notes" in html


def test_another_schemes_referrals_are_left_out(client, dpo, glenys_record, outsider_coordinator):
    bundle = bundle_json(client, dpo, glenys_record)
    text = json.dumps(bundle, ensure_ascii=False)
    html = bundle_html(client, dpo, glenys_record)
    for theirs in ("SP-ELSE01", ELSEWHERE):
        assert theirs not in text
        assert theirs not in html
    # Olwen opened it in Glannau: that is in Glannau's trail, not Teg Valley's bundle.
    assert str(outsider_coordinator) not in {row["who"] for row in bundle["access_log"]}
    assert "STAFF-EMAIL" not in text


def test_the_other_scheme_gives_its_own_part(client, outsider_dpo, glenys_record):
    bundle = bundle_json(client, outsider_dpo, glenys_record)
    assert [r["reference"] for r in bundle["referrals"]] == ["SP-ELSE01"]
    assert "SP-GLEN01" not in json.dumps(bundle)
    assert bundle["possible_duplicates"] == []


def test_a_name_with_markup_is_escaped_in_the_html(client, dpo, case):
    case.person.given_name = "<script>alert(1)</script>"
    case.person.save()
    html = bundle_html(client, dpo, case.person)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert bundle_json(client, dpo, case.person)["person"]["given_name"] == (
        "<script>alert(1)</script>"
    )


def test_the_html_is_self_contained(client, dpo, glenys_record):
    response = download(client, dpo, glenys_record, "html")
    html = response.content.decode()
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert re.fullmatch(
        rf'attachment; filename="subject-access-{glenys_record.uuid}-\d{{4}}-\d\d-\d\d\.html"',
        response["Content-Disposition"],
    )
    for fetches in ("<link", "<script", "<img", " src=", "url(", "@import", "http://", "https://"):
        assert fetches not in html, fetches
    # The file's own policy allows its one stylesheet, by hash, and nothing else.
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert policy == (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    assert "@media print" in style


def test_the_json_download(client, dpo, glenys_record):
    response = download(client, dpo, glenys_record, "json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].endswith('.json"')


def test_it_is_written_in_the_persons_language(client, dpo, case):
    case.person.preferred_language = "cy"
    case.person.save()
    assert '<html lang="cy">' in bundle_html(client, dpo, case.person)
    assert bundle_json(client, dpo, case.person)["language"] == "cy"


def test_queries_do_not_grow_with_referrals_and_records(
    glenys, scheme, link_worker, gp, cluster, dpo
):
    worked_case(person=glenys, scheme=scheme, link_worker=link_worker, gp=gp, cluster=cluster,
                reference="SP-ONE001")  # fmt: skip
    with CaptureQueriesContext(connection) as one:
        subject_access_bundle(person=glenys, scheme=scheme, actor=dpo)
    for n in range(2, 5):
        worked_case(person=glenys, scheme=scheme, link_worker=link_worker, gp=gp,
                    cluster=cluster, reference=f"SP-MANY0{n}")  # fmt: skip
    with CaptureQueriesContext(connection) as four:
        bundle = subject_access_bundle(person=glenys, scheme=scheme, actor=dpo)
    assert len(bundle["referrals"]) == 4
    assert sum(len(r["timeline"]) for r in bundle["referrals"]) == 12
    assert len(four) == len(one)


@pytest.mark.parametrize("who", ["link_worker", "gp", "outsider_coordinator"])
def test_the_service_refuses_anyone_but_the_schemes_dpo_or_coordinator(request, case, scheme, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(Refused):
        subject_access_bundle(person=case.person, scheme=scheme, actor=actor)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_service_refuses_a_person_the_scheme_never_had(case, outsider_coordinator):
    with pytest.raises(Refused):
        subject_access_bundle(person=case.person, scheme=outsider_coordinator.organisation,
                              actor=outsider_coordinator)  # fmt: skip
