"""A partner finds the API described at /api/schema/ and readable at /api/docs/."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_without_a_token(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert set(schema["paths"]) == {"/api/v1/referrals/", "/api/v1/referrals/{id}/"}
    post = schema["paths"]["/api/v1/referrals/"]["post"]
    assert post["security"] == [{"BearerToken": []}]
    assert {"201", "200", "400", "401", "403", "409", "429"} <= set(post["responses"])
    assert [p["name"] for p in post["parameters"]] == ["Idempotency-Key"]
    assert "Location" in post["responses"]["201"]["headers"]
    listing = schema["paths"]["/api/v1/referrals/"]["get"]
    assert {"status", "updated_since", "page", "page_size"} <= {
        p["name"] for p in listing["parameters"]
    }


@pytest.mark.parametrize(
    ("path", "asset"), [("/api/docs/", "swagger-ui"), ("/api/redoc/", "redoc")]
)
def test_the_docs_come_from_a_package_not_a_cdn(client, path, asset):
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/static/drf_spectacular_sidecar/{asset}" in page
    assert "<script>" not in page  # no inline script: the CSP allows none
    if asset == "swagger-ui":
        # Swagger UI's start-up script is a file of its own, where the schema's address is.
        assert '<script src="/api/docs/?script="></script>' in page
        page += client.get(f"{path}?script=").content.decode()
    assert "cdn." not in page and "/api/schema/" in page


def test_the_schema_is_valid_openapi(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API client's token, issued by an administrator and shown once.",
    }
    assert not any(path.startswith("/api/oruk/") for path in schema["paths"])


def _schema(client):
    return yaml.safe_load(client.get("/api/schema/").content)


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_error_is_documented_as_problem_json(client):
    schema = _schema(client)
    expected = {
        "GET /api/v1/referrals/": {"400", "401", "403", "404", "406", "429"},
        "POST /api/v1/referrals/": {"400", "401", "403", "406", "409", "413", "415", "422", "429"},
        "GET /api/v1/referrals/{id}/": {"401", "403", "404", "406", "429"},
    }
    for label, operation in _operations(schema):
        errors = {code for code in operation["responses"] if code.startswith("4")}
        assert errors == expected[label], label
        for code in errors:
            content = operation["responses"][code]["content"]
            assert list(content) == ["application/problem+json"], (label, code)
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
        assert operation["responses"]["401"]["headers"]["WWW-Authenticate"]["required"]
        assert operation["responses"]["429"]["headers"]["Retry-After"]["required"]


def test_paging_is_documented_as_bounded_integers(client):
    listing = _schema(client)["paths"]["/api/v1/referrals/"]["get"]
    parameters = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert parameters["page"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
        "default": 50,
    }
    assert parameters["updated_since"]["format"] == "date-time"


def test_required_strings_and_consent_are_documented(client):
    components = _schema(client)["components"]["schemas"]
    person = components["PersonInput"]["properties"]
    for name in ("given_name", "family_name"):
        assert person[name]["minLength"] == 1 and person[name]["maxLength"] == 100
        assert person[name]["pattern"] == "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    assert person["postcode"]["maxLength"] == 10 and person["postcode"]["pattern"]
    assert person["nhs_number"]["oneOf"][0]["format"] == "nhs-number"
    referral = components["ReferralCreateInput"]
    assert referral["properties"]["what_matters"]["minLength"] == 1
    assert referral["properties"]["reasons"]["minItems"] == 1
    assert components["ConsentGivenEnum"] == {"type": "boolean", "enum": [True]}
    for name in ("consent_to_referral", "consent_to_share"):
        assert referral["properties"][name]["allOf"] == [
            {"$ref": "#/components/schemas/ConsentGivenEnum"}
        ]
    assert components["ReferrerInput"]["properties"]["name"]["minLength"] == 1
