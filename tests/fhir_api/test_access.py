"""Who may see and do what through /fhir/, and what hostile input gets: an OperationOutcome,
never a 500. The same tokens, scopes and scoping as the partner API."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.api.parsers import MAX_JSON_DEPTH
from accounts.models import AuditEvent
from accounts.services import api_client_revoke
from referrals.models import Referral

from .conftest import service_request, valid_r4

pytestmark = pytest.mark.django_db

SEARCHES = ["/fhir/ServiceRequest", "/fhir/Task", "/fhir/Patient"]


def _outcome(response, status, expression=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/fhir+json"
    outcome = valid_r4(response.json())
    assert outcome.resource_type == "OperationOutcome"
    if expression is not None:
        assert expression in [e for issue in outcome.issue for e in (issue.expression or [])]
    return outcome


@pytest.fixture
def afon_referral(afon_fhir):
    response = afon_fhir.post("/fhir/ServiceRequest", service_request())
    assert response.status_code == 201
    return Referral.objects.get(uuid=response.json()["id"])


@pytest.mark.parametrize("kind", ["ServiceRequest", "Task", "Patient"])
def test_another_practice_s_referral_is_not_found(bryn_fhir, afon_referral, kind):
    outcome = _outcome(bryn_fhir.get(f"/fhir/{kind}/{afon_referral.uuid}"), 404)
    assert outcome.issue[0].code == "not-found"
    assert "Pritchard" not in str(outcome.json())


@pytest.mark.parametrize("path", SEARCHES)
def test_another_practice_s_searches_find_nothing(bryn_fhir, afon_referral, path):
    bundle = bryn_fhir.get(path).json()
    valid_r4(bundle)
    assert bundle["total"] == 0


@pytest.mark.parametrize("kind", ["ServiceRequest", "Task", "Patient"])
def test_an_unknown_or_malformed_id_is_not_found(afon_fhir, kind):
    _outcome(afon_fhir.get(f"/fhir/{kind}/00000000-0000-0000-0000-000000000000"), 404)
    _outcome(afon_fhir.get(f"/fhir/{kind}/not-a-uuid"), 404)


def test_a_read_only_client_may_not_refer(afon_viewer):
    outcome = _outcome(afon_viewer.post("/fhir/ServiceRequest", service_request()), 403)
    assert outcome.issue[0].code == "forbidden"
    assert "fhir:write" in outcome.issue[0].diagnostics
    assert not Referral.objects.exists()


@pytest.mark.parametrize("path", SEARCHES)
def test_the_partner_api_s_scopes_do_not_open_fhir(afon_rest, path):
    _outcome(afon_rest.get(path), 403)


def test_the_partner_api_s_scopes_may_not_refer_through_fhir(afon_rest):
    _outcome(afon_rest.post("/fhir/ServiceRequest", service_request()), 403)
    assert not Referral.objects.exists()


@pytest.mark.parametrize("path", SEARCHES)
def test_no_token_or_a_bad_one_is_refused(client, path):
    response = client.get(path)
    outcome = _outcome(response, 401)
    assert outcome.issue[0].code == "login"
    assert response["WWW-Authenticate"].startswith("Bearer")
    _outcome(client.get(path, HTTP_AUTHORIZATION="Bearer spk_nope_nope"), 401)


def test_a_revoked_client_is_refused(afon_fhir, afon_referral):
    api_client_revoke(client=afon_fhir.api_client)
    _outcome(afon_fhir.get(f"/fhir/Task/{afon_referral.uuid}"), 401)


def test_reads_and_searches_are_audited(afon_fhir, afon_referral):
    for path in (f"/fhir/ServiceRequest/{afon_referral.uuid}", f"/fhir/Task/{afon_referral.uuid}",
                 f"/fhir/Patient/{afon_referral.uuid}", *SEARCHES):  # fmt: skip
        before = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count()
        assert afon_fhir.get(path).status_code == 200
        events = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).order_by("-pk")
        assert events.count() == before + 1, path
        event = events.first()
        assert event.api_client == afon_fhir.api_client
        assert afon_referral.person.uuid in {s.person_uuid for s in event.subjects.all()}, path


def _queries(partner, path):
    with CaptureQueriesContext(connection) as queries:
        assert partner.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", SEARCHES)
def test_search_queries_do_not_grow_with_rows(afon_fhir, path):
    for number in range(2):
        afon_fhir.post("/fhir/ServiceRequest", service_request(f"few-{number}"))
    few = _queries(afon_fhir, path)
    for number in range(8):
        afon_fhir.post("/fhir/ServiceRequest", service_request(f"many-{number}"))
    assert _queries(afon_fhir, path) == few


# --- Hostile input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000],
    ids=["array", "object"],
)
def test_json_nested_ten_thousand_deep_is_refused(afon_fhir, body):
    outcome = _outcome(afon_fhir.post("/fhir/ServiceRequest", body), 400)
    assert str(MAX_JSON_DEPTH) in outcome.issue[0].diagnostics
    assert not Referral.objects.exists()


def test_a_huge_body_is_refused(afon_fhir, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = service_request(note=[{"text": "x" * 5000}])
    _outcome(afon_fhir.post("/fhir/ServiceRequest", body), 413)
    assert not Referral.objects.exists()


def test_huge_values_within_the_size_limit_are_named(afon_fhir):
    body = service_request(note=[{"text": "x" * 100_000}])
    body["contained"][0]["name"] = [{"family": "P" * 10_000, "given": ["G"] * 5_000}]
    outcome = _outcome(afon_fhir.post("/fhir/ServiceRequest", body), 400)
    expressions = {e for issue in outcome.issue for e in issue.expression}
    assert "ServiceRequest.note[0].text" in expressions
    assert "ServiceRequest.contained[0].name[0].family" in expressions
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", "null", "3", '"ServiceRequest"', '{"resourceType": "Patient"}', "{}"],
)
def test_what_is_not_a_service_request_is_refused(afon_fhir, body):
    _outcome(afon_fhir.post("/fhir/ServiceRequest", body), 400)
    assert not Referral.objects.exists()


def test_a_body_that_is_not_json_is_unsupported(afon_fhir):
    response = afon_fhir.post(
        "/fhir/ServiceRequest", "<ServiceRequest/>", content_type="application/fhir+xml"
    )
    _outcome(response, 415)


def test_missing_consent_and_person_details_are_named(afon_fhir):
    body = service_request(supportingInfo=[])
    del body["contained"][0]["birthDate"]
    outcome = _outcome(afon_fhir.post("/fhir/ServiceRequest", body), 400)
    expressions = {e for issue in outcome.issue for e in issue.expression}
    assert {
        "ServiceRequest.supportingInfo",
        "ServiceRequest.contained.Patient.birthDate",
    } <= expressions
    assert not Referral.objects.exists()


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _replaced(body, path, new):
    body = copy.deepcopy(body)
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return body


WRONG = [None, 7, 1.5, True, "x" * 3000, "", {"a": [1]}, ["x", {"y": None}], []]


def test_a_value_of_any_wrong_type_anywhere_is_a_4xx_never_a_500(afon_fhir):
    type(afon_fhir.api_client).objects.filter(pk=afon_fhir.api_client.pk).update(rate_limit=10**6)
    body = service_request()
    paths = [path for path in _paths(body) if path]
    assert len(paths) > 50
    made = 0
    for path in paths:
        for value in WRONG:
            changed = _replaced(body, path, value)
            changed["identifier"] = [
                {"system": "https://fuzz.example", "value": f"{path}{value!r}"[:150]}
            ]
            response = afon_fhir.post("/fhir/ServiceRequest", changed)
            assert response.status_code in (200, 201, 400), (path, value, response.content[:300])
            valid_r4(response.json()) if response.status_code == 400 else None
            made += response.status_code == 201
    assert Referral.objects.count() == made


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"_lastUpdated": "yesterday"}, "_lastUpdated"),
        ({"_lastUpdated": "ge"}, "_lastUpdated"),
        ({"_lastUpdated": "sa2026-01-01"}, "_lastUpdated"),
        ({"_lastUpdated": "ne2026-01-01"}, "_lastUpdated"),
        ({"_lastUpdated": "2026-02-30"}, "_lastUpdated"),
        ({"_lastUpdated": "2026-01-01T10:00"}, "_lastUpdated"),
        ({"_count": "1000"}, "_count"),
        ({"_count": "-1"}, "_count"),
        ({"_page": "0"}, "_page"),
        ({"status": "finished"}, "status"),
        ({"colour": "blue"}, "colour"),
        ({"identifier": "no-system"}, "identifier"),
        ({"patient:identifier": "https://elsewhere|1"}, "patient:identifier"),
    ],
)
def test_a_bad_search_parameter_is_named(afon_fhir, query, name):
    _outcome(afon_fhir.get("/fhir/ServiceRequest", query), 400, name)


def test_other_methods_are_not_allowed(afon_fhir, afon_referral):
    response = afon_fhir.client.put(
        f"/fhir/ServiceRequest/{afon_referral.uuid}", "{}", content_type="application/fhir+json",
        **afon_fhir.headers(),
    )  # fmt: skip
    _outcome(response, 405)


def test_create_api_client_issues_the_fhir_scopes(practice):
    from io import StringIO

    from django.core.management import call_command

    from accounts.models import ApiClient

    out = StringIO()
    call_command(
        "create_api_client", "Afon FHIR", organisation="W90001", scopes="fhir:write,fhir:read",
        stdout=out,
    )  # fmt: skip
    assert ApiClient.objects.get(name="Afon FHIR").scopes == ["fhir:write", "fhir:read"]


@pytest.mark.parametrize("path", ["/fhir/Condition", "/fhir/", "/fhir/Task/x/y", "/fhir/$export"])
def test_an_address_this_server_does_not_have_is_an_operation_outcome(client, path):
    _outcome(client.get(path), 404)
    _outcome(client.post(path, "{}", content_type="application/fhir+json"), 404)


def test_the_location_of_a_create_reads_and_other_versions_do_not(afon_fhir):
    response = afon_fhir.post("/fhir/ServiceRequest", service_request())
    location = response["Location"]
    read = afon_fhir.get(location)
    assert read.status_code == 200 and read.json()["id"] == response.json()["id"]
    _outcome(afon_fhir.get(location.replace("/_history/1", "/_history/2")), 404)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/fhir/Task", {"owner": "Organization/not-an-id"}),
        ("/fhir/Task", {"focus": "ServiceRequest/not-an-id"}),
        ("/fhir/ServiceRequest", {"patient": "Patient/not-an-id"}),
    ],
)
def test_a_malformed_reference_finds_nothing(afon_fhir, afon_referral, path, query):
    bundle = afon_fhir.get(path, query).json()
    valid_r4(bundle)
    assert bundle["total"] == 0


def test_an_unknown_reason_code_of_ours_is_named(afon_fhir):
    from fhir_api import codes

    body = service_request(category=[{"coding": [{"system": codes.reason_system(), "code": "x"}]}])
    _outcome(
        afon_fhir.post("/fhir/ServiceRequest", body),
        400,
        "ServiceRequest.category[0].coding[0].code",
    )
    assert not Referral.objects.exists()


def test_an_operation_outcome_speaks_welsh_when_asked(client):
    response = client.get("/fhir/Task", HTTP_ACCEPT_LANGUAGE="cy")
    outcome = _outcome(response, 401)
    assert outcome.issue[0].diagnostics == "Anfonwch docyn cleient API fel tocyn Bearer."
    assert response["Content-Language"] == "cy"
