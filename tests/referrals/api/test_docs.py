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
