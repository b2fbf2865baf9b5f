"""Afon Surgery's GP system refers through FHIR and follows the referral to its close.

Every answer is checked as FHIR R4 with fhir.resources.
"""

import pytest

from fhir_api import codes
from linkworkers.services import referral_allocate
from referrals import services
from referrals.models import ApiIdempotencyKey, GPFeedback, Referral, Status

from .conftest import NHS, REQUEST_SYSTEM, example, service_request, valid_r4

pytestmark = pytest.mark.django_db


def _created(partner, body=None, **extra):
    response = partner.post("/fhir/ServiceRequest", body or service_request(), **extra)
    assert response.status_code in (200, 201), response.content
    valid_r4(response.json())
    return response


def test_metadata_is_an_r4_capability_statement(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    statement = valid_r4(response.json())
    assert statement.fhirVersion == "4.0.1"
    types = {r.type: r for r in statement.rest[0].resource}
    assert {"ServiceRequest", "Task", "Patient", "HealthcareService", "Organization",
            "Location"} <= set(types)  # fmt: skip
    assert types["ServiceRequest"].conditionalCreate is True


def test_a_service_request_becomes_a_referral(afon_fhir, practice, scheme):
    response = _created(afon_fhir)
    assert response.status_code == 201
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    referral = Referral.objects.get(uuid=body["id"])
    assert response["Location"].endswith(f"/fhir/ServiceRequest/{referral.uuid}/_history/1")
    assert (referral.referring_organisation, referral.scheme) == (practice, scheme)
    assert referral.reasons == ["loneliness", "bereavement"]
    assert referral.what_matters.startswith("Since her husband died")
    assert referral.referrer_name == "Dr Ffion Hughes"
    assert referral.person.nhs_number == "9434765919"
    assert referral.person.preferred_language == "cy"
    assert referral.person.postcode == "CF10 1AA"
    assert {"system": REQUEST_SYSTEM, "value": "afon-0001", "use": "official"} in body["identifier"]
    assert body["status"] == "active" and body["subject"] == {
        "reference": f"Patient/{referral.uuid}"
    }


def test_conditional_create_twice_makes_one_referral(afon_fhir):
    header = {"HTTP_IF_NONE_EXIST": f"identifier={REQUEST_SYSTEM}|afon-0002"}
    first = _created(afon_fhir, service_request("afon-0002"), **header)
    again = _created(afon_fhir, service_request("afon-0002"), **header)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Referral.objects.count() == 1
    # The identifier alone (no header) is the same request too.
    third = _created(afon_fhir, service_request("afon-0002"))
    assert third.status_code == 200 and third.json()["id"] == first.json()["id"]
    assert Referral.objects.count() == 1
    # Through the partner API's own idempotency keys.
    assert ApiIdempotencyKey.objects.get().referral.uuid.hex == first.json()["id"].replace("-", "")


def test_a_new_identifier_is_a_new_referral(afon_fhir):
    _created(afon_fhir, service_request("afon-0003"))
    _created(afon_fhir, service_request("afon-0004"))
    assert Referral.objects.count() == 2


def test_a_bad_if_none_exist_is_refused(afon_fhir):
    response = afon_fhir.post(
        "/fhir/ServiceRequest", service_request(), HTTP_IF_NONE_EXIST="status=active"
    )
    assert response.status_code == 400
    outcome = valid_r4(response.json())
    assert outcome.issue[0].expression == ["If-None-Exist"]
    assert Referral.objects.count() == 0


def test_read_and_search_service_requests(afon_fhir):
    made = _created(afon_fhir).json()
    read = afon_fhir.get(f"/fhir/ServiceRequest/{made['id']}")
    assert read.status_code == 200 and read["ETag"] == 'W/"1"'
    assert valid_r4(read.json()).id == made["id"]
    for query in (
        {"patient:identifier": f"{NHS}|9434765919"},
        {"patient.identifier": f"{NHS}|9434765919"},
        {"identifier": f"{REQUEST_SYSTEM}|afon-0001"},
        {"_lastUpdated": "ge2000-01-01"},
        {"patient": f"Patient/{made['id']}"},
    ):
        bundle = afon_fhir.get("/fhir/ServiceRequest", query).json()
        valid_r4(bundle)
        assert bundle["type"] == "searchset" and bundle["total"] == 1, query
        assert bundle["entry"][0]["resource"]["id"] == made["id"]
        assert bundle["entry"][0]["resource"]["identifier"][0]["value"] == "afon-0001"
    for query in (
        {"patient:identifier": f"{NHS}|4010232137"},
        {"_lastUpdated": "lt2000-01-01"},
        {"identifier": f"{REQUEST_SYSTEM}|someone-else"},
    ):
        bundle = afon_fhir.get("/fhir/ServiceRequest", query).json()
        valid_r4(bundle)
        assert bundle["total"] == 0 and "entry" not in bundle, query


def test_search_pages_with_links(afon_fhir):
    for number in range(3):
        _created(afon_fhir, service_request(f"afon-page-{number}"))
    bundle = afon_fhir.get("/fhir/ServiceRequest", {"_count": 2}).json()
    valid_r4(bundle)
    assert bundle["total"] == 3 and len(bundle["entry"]) == 2
    relations = {link["relation"]: link["url"] for link in bundle["link"]}
    assert {"self", "first", "next", "last"} <= set(relations)
    following = afon_fhir.get(relations["next"]).json()
    valid_r4(following)
    assert len(following["entry"]) == 1
    seen = {e["resource"]["id"] for e in bundle["entry"] + following["entry"]}
    assert len(seen) == 3


def test_patient_as_the_practice_supplied_them(afon_fhir):
    made = _created(afon_fhir).json()
    patient = afon_fhir.get(f"/fhir/Patient/{made['id']}").json()
    valid_r4(patient)
    assert patient["identifier"] == [{"system": NHS, "value": "9434765919"}]
    assert patient["name"][0]["family"] == "Pritchard"
    assert patient["birthDate"] == "1948-03-02"
    assert "telecom" not in patient  # who, not how to reach them (as the partner API)
    bundle = afon_fhir.get("/fhir/Patient", {"identifier": f"{NHS}|9434765919"}).json()
    valid_r4(bundle)
    assert bundle["total"] == 1


def _task(partner, referral):
    response = partner.get(f"/fhir/Task/{referral.uuid}")
    assert response.status_code == 200
    valid_r4(response.json())
    return response.json()


def test_task_status_follows_the_whole_lifecycle(
    afon_fhir, coordinator, link_worker, gp_receptionist
):
    referral = Referral.objects.get(uuid=_created(afon_fhir).json()["id"])
    gravity = example("gravity-task.json")
    task = _task(afon_fhir, referral)
    # The Gravity guide's Task for referral management, in the same shape.
    assert set(gravity) - {"id"} <= set(task)
    assert task["code"] == gravity["code"] and task["meta"]["profile"] == gravity["meta"]["profile"]
    assert task["focus"] == {"reference": f"ServiceRequest/{referral.uuid}"}
    assert task["owner"]["display"] == referral.scheme.name
    seen = [task["status"]]
    referral = services.referral_accept(referral=referral, actor=coordinator)
    seen.append(_task(afon_fhir, referral)["status"])
    referral = referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    seen.append(_task(afon_fhir, referral)["status"])
    referral = services.referral_start(referral=referral, actor=link_worker)
    seen.append(_task(afon_fhir, referral)["status"])
    from django.utils import timezone

    referral = services.referral_hold(
        referral=referral, actor=link_worker,
        review_date=timezone.localdate() + timezone.timedelta(days=14),
    )  # fmt: skip
    seen.append(_task(afon_fhir, referral)["status"])
    referral = services.referral_resume(referral=referral, actor=link_worker)
    seen.append(_task(afon_fhir, referral)["status"])
    referral = services.referral_close(
        referral=referral, actor=link_worker, reason="completed",
        summary="Joined the Teg Valley community choir.",
    )  # fmt: skip
    task = _task(afon_fhir, referral)
    seen.append(task["status"])
    assert seen == ["requested", "accepted", "accepted", "in-progress", "on-hold",
                    "in-progress", "completed"]  # fmt: skip
    assert task["statusReason"]["coding"][0]["code"] == "completed"
    completed = example("gravity-task-completed.json")
    valid_r4(completed)
    assert set(completed) - {"id"} <= set(task)
    assert set(task["output"][0]) == {"type", "valueString"}  # an output's shape: type, value[x]
    assert task["output"][0]["valueString"] == "Joined the Teg Valley community choir."
    assert task["executionPeriod"]["end"]
    request = afon_fhir.get(f"/fhir/ServiceRequest/{referral.uuid}").json()
    assert request["status"] == "completed"
    # Searches by status, focus, owner and _lastUpdated find it.
    for query in (
        {"status": "completed"},
        {"status": "requested,completed"},
        {"focus": f"ServiceRequest/{referral.uuid}"},
        {"owner": f"Organization/{referral.scheme.uuid}"},
        {"_lastUpdated": "ge2000-01-01"},
    ):
        bundle = afon_fhir.get("/fhir/Task", query).json()
        valid_r4(bundle)
        assert bundle["total"] == 1, query
    assert afon_fhir.get("/fhir/Task", {"status": "in-progress"}).json()["total"] == 0


def test_rejected_and_cancelled_tasks(afon_fhir, coordinator, gp_receptionist):
    rejected = Referral.objects.get(uuid=_created(afon_fhir, service_request("r1")).json()["id"])
    services.referral_reject(
        referral=rejected, actor=coordinator, reason="needs_clinical",
        suggested_alternative="The practice mental health nurse.",
    )  # fmt: skip
    task = _task(afon_fhir, rejected)
    assert task["status"] == "rejected"
    assert task["statusReason"]["coding"][0]["code"] == "needs_clinical"
    assert task["output"][0]["valueString"] == "The practice mental health nurse."
    cancelled = Referral.objects.get(uuid=_created(afon_fhir, service_request("r2")).json()["id"])
    services.referral_cancel(referral=cancelled, actor=gp_receptionist, reason="Moved practice.")
    assert _task(afon_fhir, cancelled)["status"] == "cancelled"
    assert afon_fhir.get(f"/fhir/ServiceRequest/{cancelled.uuid}").json()["status"] == "revoked"


def test_closure_summary_only_where_consent_allows(afon_fhir, coordinator, link_worker):
    body = service_request(
        extension=[{"url": codes.gp_feedback_extension(), "valueCode": GPFeedback.CODED_ONLY}]
    )
    referral = Referral.objects.get(uuid=_created(afon_fhir, body).json()["id"])
    assert referral.gp_feedback == GPFeedback.CODED_ONLY
    referral = services.referral_accept(referral=referral, actor=coordinator)
    referral = referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    referral = services.referral_close(
        referral=referral, actor=link_worker, reason="completed",
        summary="Joined the Teg Valley community choir.",
    )  # fmt: skip
    response = afon_fhir.get(f"/fhir/Task/{referral.uuid}")
    task = response.json()
    valid_r4(task)
    assert task["status"] == "completed" and "output" not in task
    assert "choir" not in response.content.decode()


def test_the_gravity_service_request_shape_is_accepted(afon_fhir):
    published = example("gravity-servicerequest.json")
    valid_r4(published)
    # As published, the Patient and Consent live on the requester's server: we cannot
    # reach them, and say which field to change.
    response = afon_fhir.post("/fhir/ServiceRequest", published)
    assert response.status_code == 400
    outcome = valid_r4(response.json())
    assert "ServiceRequest.subject.reference" in {e for i in outcome.issue for e in i.expression}
    # The same shape, with the Patient and Consent contained and the requester named.
    ours = service_request()
    body = {
        **published,
        "contained": ours["contained"],
        "subject": {"reference": "#patient"},
        "supportingInfo": [{"reference": "#consent"}],
        "requester": {**published["requester"], "display": "Dr Jan Water"},
    }
    valid_r4(body)
    response = _created(afon_fhir, body)
    referral = Referral.objects.get(uuid=response.json()["id"])
    assert referral.reasons == ["money"]  # food insecurity
    assert referral.what_matters == "Assistance with application for food pantry program"
    assert referral.status == Status.RECEIVED


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("2026-05-01", 1), ("eq2026-05", 1), ("eq2026", 1), ("gt2026-05-01", 0),
        ("ge2026-05-01T10:30:00Z", 1), ("lt2026-05-01T10:30:00Z", 0),
        ("le2026-05-01T10:30:00Z", 1), ("gt2026-05-01T11:29%2B01:00", 1),
        ("gt2026-05-01T11:30:00%2B01:00", 0),
        ("lt2026-05-02", 1), ("ge2026-04-30", 1), ("le2026-04-30", 0),
    ],
)  # fmt: skip
def test_last_updated_by_precision_and_prefix(afon_fhir, value, found):
    from datetime import UTC, datetime
    from urllib.parse import unquote

    made = _created(afon_fhir).json()
    Referral.objects.filter(uuid=made["id"]).update(
        updated_at=datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
    )
    bundle = afon_fhir.get("/fhir/Task", {"_lastUpdated": unquote(value)}).json()
    valid_r4(bundle)
    assert bundle["total"] == found


def test_a_repeat_referral_may_name_a_patient_the_practice_already_has(afon_fhir, bryn_fhir):
    first = _created(afon_fhir).json()
    body = service_request("afon-repeat", subject={"reference": f"Patient/{first['id']}"})
    del body["contained"][0]  # no Patient sent this time: only the Consent
    again = afon_fhir.post("/fhir/ServiceRequest", body)
    assert again.status_code == 201, again.content
    valid_r4(again.json())
    repeat = Referral.objects.get(uuid=again.json()["id"])
    assert repeat.person_as_referred.family_name == "Pritchard"
    assert repeat.person_as_referred.nhs_number == "9434765919"
    # Another practice's system cannot refer by Afon's Patient id: it hears of no such Patient.
    body["identifier"] = [{"system": REQUEST_SYSTEM, "value": "bryn-try"}]
    refused = bryn_fhir.post("/fhir/ServiceRequest", body)
    assert refused.status_code == 400
    outcome = valid_r4(refused.json())
    assert outcome.issue[0].expression == ["ServiceRequest.subject.reference"]
    assert "Pritchard" not in refused.content.decode()
    assert Referral.objects.count() == 2
