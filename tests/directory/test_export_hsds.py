"""`manage.py export_hsds` writes the directory as HSDS; `import_hsds` reads it back.

Elin exports the directory before a move to a new server and imports it there:
what the ORUK API serves afterwards is what it served before.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from directory import hsds, hsds_import
from directory.models import Location, Provider, Service, Taxonomy, TaxonomyTerm
from tests.directory.oruk_data import build_small_directory
from tests.directory.oruk_schemas import assert_valid


@pytest.fixture
def small_directory(db):
    return build_small_directory()


def export(tmp_path):
    path = tmp_path / "directory.json"
    call_command("export_hsds", str(path), stderr=StringIO())
    return path


def served(client):
    """Everything the API serves, but for what no HSDS field carries back.

    The modification time moves on with a re-import, and the alert is written
    from our capacity and waiting time, which HSDS has no field for.
    """
    services = {}
    for item in client.get("/api/oruk/services").json()["contents"]:
        full = client.get(f"/api/oruk/services/{item['id']}").json()
        full.pop("last_modified")
        full.pop("alert", None)
        services[item["id"]] = full
    return {
        "services": services,
        "taxonomies": client.get("/api/oruk/taxonomy_terms").json()["contents"],
        "organizations": client.get("/api/oruk/organizations").json()["contents"],
    }


def empty_the_directory():
    Service.objects.all().delete()
    Location.objects.all().delete()
    Provider.objects.all().delete()
    TaxonomyTerm.objects.filter(parent__isnull=False).delete()
    TaxonomyTerm.objects.all().delete()
    Taxonomy.objects.all().delete()


def test_the_export_holds_every_service_in_the_profile_shape(tmp_path, small_directory):
    document = json.loads(export(tmp_path).read_text())
    assert (document["version"], document["profile"]) == (hsds.HSDS_VERSION, hsds.PROFILE_URL)
    assert [service["name"] for service in document["services"]] == [
        "Art for wellbeing",
        "Garden club",
        "Old walking group",
    ]
    for service in document["services"]:
        assert_valid(service, "compiled/service")
    for organization in document["organizations"]:
        assert_valid(organization, "compiled/organization")
    for taxonomy in document["taxonomies"]:
        assert_valid(taxonomy, "taxonomy")
    assert document["services"][2]["status"] == "defunct"


def test_it_writes_to_standard_output_without_a_path(small_directory):
    out = StringIO()
    call_command("export_hsds", stdout=out)
    assert len(json.loads(out.getvalue())["services"]) == 3


def test_an_export_reimports_into_an_empty_directory_unchanged(tmp_path, client, small_directory):
    before = served(client)
    path = export(tmp_path)
    empty_the_directory()
    out = StringIO()
    call_command("import_hsds", str(path), stdout=out)
    assert "Taxonomies: 1 created" in out.getvalue()
    assert "Services: 3 created, 0 updated, 0 rejected" in out.getvalue()
    assert "Organizations: 1 created" in out.getvalue()
    assert served(client) == before
    assert Service.objects.get(name="Old walking group").status == Service.Status.CLOSED


def test_an_export_reimported_over_itself_only_updates(tmp_path, client, small_directory):
    before = served(client)
    out = StringIO()
    call_command("import_hsds", str(export(tmp_path)), stdout=out)
    assert "Services: 0 created, 3 updated, 0 rejected" in out.getvalue()
    assert served(client) == before
    assert (Service.objects.count(), Location.objects.count(), TaxonomyTerm.objects.count()) == (
        3,
        2,
        3,
    )


def test_it_imports_from_another_oruk_api_by_its_address(client, small_directory, monkeypatch):
    """Another directory's API (here ours, recorded, then emptied) read page by page."""
    before = served(client)
    remote = "https://other.example.org/api/oruk"
    recorded = {}

    def record_from_our_api(url):
        recorded[url] = client.get(url.removeprefix("https://other.example.org")).json()
        return recorded[url]

    monkeypatch.setattr(hsds_import, "fetch_json", record_from_our_api)
    list(hsds_import.fetch_taxonomies(remote))
    list(hsds_import.fetch_services(remote))
    empty_the_directory()
    monkeypatch.setattr(hsds_import, "fetch_json", recorded.__getitem__)
    out = StringIO()
    call_command("import_hsds", remote + "/", stdout=out)
    assert "Services: 2 created, 0 updated, 0 rejected" in out.getvalue()
    assert "Taxonomies: 1 created" in out.getvalue()
    assert served(client) == before


def test_a_service_the_other_api_cannot_serve_is_reported(db, monkeypatch):
    remote = "https://other.example.org/api/oruk"
    listing = {"total_pages": 1, "contents": [{"id": "7f3c9a52-3f1e-4d2b-9a7e-0c5b1d2e3f40"}]}

    def fetch(url):
        if url.startswith(f"{remote}/services?"):
            return listing
        raise OSError("HTTP Error 404: Not Found")  # no taxonomies either

    monkeypatch.setattr(hsds_import, "fetch_json", fetch)
    out = StringIO()
    call_command("import_hsds", remote, stdout=out)
    assert (
        "service 7f3c9a52-3f1e-4d2b-9a7e-0c5b1d2e3f40: rejected: could not be fetched: "
        "HTTP Error 404: Not Found"
    ) in out.getvalue()
    assert "taxonomies: not read (HTTP Error 404: Not Found)" in out.getvalue()


def test_it_reads_a_real_http_oruk_api(live_server, transactional_db):
    """Over HTTP on this machine (no outside network): our own API, served by a live server."""
    build_small_directory()
    out = StringIO()
    call_command("import_hsds", f"{live_server.url}/api/oruk/", "--dry-run", stdout=out)
    assert "Taxonomies: 0 created, 1 updated, 0 rejected" in out.getvalue()
    assert "Services: 0 created, 2 updated, 0 rejected (dry run: nothing was written)" in (
        out.getvalue()
    )
