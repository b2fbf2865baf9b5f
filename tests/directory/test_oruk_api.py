"""The Open Referral UK API: every shape checked against the profile's schemas.

Dafydd runs the service finder of a neighbouring county. His system reads our
directory through /api/oruk/, with no account, and must get what the ORUK
profile promises, or a clear problem naming what he asked wrong.
"""

import pytest

from directory.hsds import HSDS_VERSION, OPENAPI_PATH, PROFILE_URL
from tests.directory.oruk_data import build_small_directory
from tests.directory.oruk_schemas import assert_valid, assert_valid_page


@pytest.fixture
def small_directory(db):
    return build_small_directory()


def get_json(client, url, status=200, **params):
    response = client.get(url, params)
    assert response.status_code == status, response.content
    expected = "application/json" if status == 200 else "application/problem+json"
    assert response["Content-Type"] == expected
    return response.json()


def test_the_root_names_the_version_profile_and_openapi_document(client, db):
    root = get_json(client, "/api/oruk/")
    assert root == {
        "version": HSDS_VERSION,
        "profile": PROFILE_URL,
        "openapi_url": "http://testserver/api/oruk/openapi.json",
        # Ours, beside the profile's three: how far a search's pages go.
        "search_results_limit": 300,
    }


def test_the_profile_url_is_where_the_openapi_document_finds_its_schemas():
    assert f'"{PROFILE_URL}/schema/compiled/service.json"' in OPENAPI_PATH.read_text()


def test_it_serves_the_profile_openapi_document(client, db):
    document = get_json(client, "/api/oruk/openapi.json")
    assert document["info"]["title"] == "Open Referral UK Profile"
    assert "/services/{id}" in document["paths"]


def test_it_needs_no_login_and_refuses_writes(client, small_directory):
    response = client.post("/api/oruk/services", {})
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_services_page_items_match_the_profile(client, small_directory):
    page = get_json(client, "/api/oruk/services")
    assert_valid_page(page, "compiled/service_list")
    assert [item["name"] for item in page["contents"]] == ["Art for wellbeing", "Garden club"]


def test_closed_services_are_never_listed_and_paused_ones_are_temporarily_closed(
    client, small_directory
):
    page = get_json(client, "/api/oruk/services")
    statuses = {item["name"]: item["status"] for item in page["contents"]}
    assert statuses == {"Garden club": "active", "Art for wellbeing": "temporarily closed"}


def test_a_service_in_full_matches_the_profile(client, small_directory):
    club = small_directory.garden_club
    service = get_json(client, f"/api/oruk/services/{club.uuid}")
    assert_valid(service, "compiled/service")
    assert service["id"] == str(club.uuid)
    assert service["organization"]["name"] == "Teg Valley Growing Together"
    assert service["organization"]["organization_identifiers"][0]["identifier"] == "1234567"
    [at_garden] = service["service_at_locations"]
    assert at_garden["location"]["addresses"][0]["postal_code"] == "CF10 3NQ"
    assert at_garden["location"]["addresses"][0]["state_province"] == "Wales"
    assert {entry.get("description") for entry in at_garden["location"]["accessibility"]} == {
        "Step-free access",
        None,
    }
    [session] = service["schedules"]
    assert (session["freq"], session["byday"], session["opens_at"], session["closes_at"]) == (
        "WEEKLY",
        "TU",
        "10:00:00",
        "12:00:00",
    )
    assert session["service_at_location_id"] == at_garden["id"]
    assert [language["code"] for language in service["languages"]] == ["en", "cy", "pl"]
    assert service["cost_options"][0]["amount"] == 0
    assert service["contacts"][0]["name"] == "Siân Evans"
    assert {a["taxonomy_term"]["name"] for a in service["attributes"]} == {
        "Gardening and green space",
        "Community gardens",
    }


def test_a_paid_service_says_what_it_costs(client, small_directory):
    service = get_json(client, f"/api/oruk/services/{small_directory.art_group.uuid}")
    assert_valid(service, "compiled/service")
    assert service["fees"] == "£2 a session"
    assert service["cost_options"][0]["amount_description"] == "£2 a session"
    assert "amount" not in service["cost_options"][0]
    assert service["alert"] == "Waiting list: 1 to 3 months"


def test_an_english_only_service_lists_english_alone(client, db):
    from tests.factories import ServiceFactory

    service = ServiceFactory()
    data = get_json(client, f"/api/oruk/services/{service.uuid}")
    assert [language["code"] for language in data["languages"]] == ["en"]


@pytest.mark.parametrize("raw_id", ["not-a-uuid", "7f3c9a52-3f1e-4d2b-9a7e-0c5b1d2e3f40"])
def test_an_unknown_service_is_a_404_problem(client, small_directory, raw_id):
    problem = get_json(client, f"/api/oruk/services/{raw_id}", status=404)
    assert problem["status"] == 404
    assert problem["title"] == "Not found"
    assert raw_id in problem["detail"]
    assert problem["invalid_params"][0]["name"] == "id"


def test_a_closed_service_is_a_404(client, small_directory):
    get_json(client, f"/api/oruk/services/{small_directory.closed_walks.uuid}", status=404)


def test_service_at_locations_match_the_profile(client, small_directory):
    page = get_json(client, "/api/oruk/service_at_locations")
    assert_valid_page(page, "compiled/service_at_location_list")
    assert page["total_items"] == 2
    full = get_json(client, f"/api/oruk/service_at_locations/{page['contents'][0]['id']}")
    assert_valid(full, "compiled/service_at_location")
    assert full["location"]["name"] == "Newport Riverside hall"
    assert full["service"]["name"] == "Art for wellbeing"
    assert full["service"]["schedules"][0]["byday"] == "TH"


def test_a_closed_service_at_a_location_is_a_404(client, small_directory):
    row = small_directory.closed_walks.at_locations.get()
    get_json(client, f"/api/oruk/service_at_locations/{row.uuid}", status=404)


def test_taxonomies_match_the_profile(client, small_directory):
    page = get_json(client, "/api/oruk/taxonomies")
    assert_valid_page(page, "taxonomy")
    taxonomy = get_json(client, f"/api/oruk/taxonomies/{small_directory.taxonomy.uuid}")
    assert_valid(taxonomy, "taxonomy")
    assert [term["code"] for term in taxonomy["taxonomy_terms"]] == [
        "arts",
        "community-gardens",
        "gardening",
    ]


def test_taxonomy_terms_match_the_profile(client, small_directory):
    page = get_json(client, "/api/oruk/taxonomy_terms")
    assert_valid_page(page, "taxonomy_term")
    term = get_json(client, f"/api/oruk/taxonomy_terms/{small_directory.community_gardens.uuid}")
    assert_valid(term, "taxonomy_term")
    assert term["parent_id"] == str(small_directory.gardening.uuid)
    assert term["taxonomy_id"] == str(small_directory.taxonomy.uuid)


def test_taxonomy_terms_filter_by_parent_taxonomy_and_top_level(client, small_directory):
    gardening = small_directory.gardening
    children = get_json(client, "/api/oruk/taxonomy_terms", parent_id=gardening.uuid)
    assert [term["name"] for term in children["contents"]] == ["Community gardens"]
    top = get_json(client, "/api/oruk/taxonomy_terms", top_only="true")
    assert [term["name"] for term in top["contents"]] == [
        "Arts and creativity",
        "Gardening and green space",
    ]
    other = get_json(
        client,
        "/api/oruk/taxonomy_terms",
        taxonomy_id="5c4d79d7-cc55-470e-9f1f-8cad074e4892",
    )
    assert other["total_items"] == 0


def test_organizations_match_the_profile(client, small_directory):
    page = get_json(client, "/api/oruk/organizations")
    assert_valid_page(page, "compiled/organization_list")
    organization = get_json(client, f"/api/oruk/organizations/{small_directory.provider.uuid}")
    assert_valid(organization, "compiled/organization")
    assert [service["name"] for service in organization["services"]] == [
        "Art for wellbeing",
        "Garden club",
    ]


@pytest.mark.parametrize(
    "path", ["taxonomies", "taxonomy_terms", "organizations", "service_at_locations"]
)
def test_unknown_ids_are_404_problems(client, small_directory, path):
    problem = get_json(client, f"/api/oruk/{path}/0bc248fa-dc27-4650-9ba4-8f1a24ef16a2", 404)
    assert problem["invalid_params"] == [{"name": "id", "reason": problem["detail"]}]


def test_paths_answer_with_a_trailing_slash_too(client, small_directory):
    assert client.get("/api/oruk/services/").status_code == 200


def test_the_project_schema_leaves_the_oruk_views_to_the_profile_document(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not [path for path in schema.get("paths", {}) if path.startswith("/api/oruk")]


@pytest.mark.parametrize(
    "schema, bad",
    [
        ("compiled/service", {"id": "x", "name": "Garden club", "status": "active"}),
        ("compiled/service_list", {"id": PROFILE_URL, "name": "a", "status": "open"}),
        (
            "taxonomy",
            {
                "id": "5c4d79d7-cc55-470e-9f1f-8cad074e4892",
                "name": "a",
                "description": "",
                "taxonomy_terms": [{"id": "5c4d79d7-cc55-470e-9f1f-8cad074e4892"}],
            },
        ),
    ],
)
def test_the_schema_check_itself_catches_what_the_profile_forbids(schema, bad):
    with pytest.raises(AssertionError):
        assert_valid(bad, schema)
