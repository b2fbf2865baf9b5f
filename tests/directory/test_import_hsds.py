"""Importing an Open Referral (HSDS / ORUK) feed with `manage.py import_hsds`.

Elin, a directory editor, loads the services a neighbouring county publishes.
Good records are created or updated by id; a bad one is reported with the
reason and leaves nothing behind, not even its organization.
"""

import copy
import json
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from directory import hsds_import, services
from directory.hsds import ORUK_DIR
from directory.models import Contact, Location, Provider, Schedule, Service, TaxonomyTerm

EXAMPLE = json.loads((ORUK_DIR / "examples" / "service_full.json").read_text())
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"

pytestmark = pytest.mark.django_db


def in_cardiff(record=None):
    """The profile's example service, moved to a real place (it lies at latitude 100)."""
    record = copy.deepcopy(record or EXAMPLE)
    location = record["service_at_locations"][0]["location"]
    location["latitude"], location["longitude"] = 51.4881, -3.1827
    location["addresses"][0] |= {"postal_code": "CF10 3NQ", "country": "GB"}
    return record


def run_import(tmp_path, document, *args):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(document))
    out = StringIO()
    call_command("import_hsds", str(path), *args, stdout=out)
    return out.getvalue()


def nothing_written():
    return not (Service.objects.exists() or Provider.objects.exists() or Location.objects.exists())


def test_it_imports_a_full_service(tmp_path):
    output = run_import(tmp_path, in_cardiff())
    assert f"service {SERVICE_ID}: created" in output
    assert "Services: 1 created, 0 updated, 0 rejected" in output
    service = Service.objects.get(uuid=SERVICE_ID)
    assert service.name == "Community Counselling"
    assert service.provider.name == "Example Organization Inc."
    assert (service.minimum_age, service.maximum_age) == (12, 100)
    assert service.is_free is False and service.cost_description == "fees_description"
    assert str(service.last_reviewed_on) == "2005-01-01"
    location = service.at_locations.get().location
    assert str(location.uuid) == LOCATION_ID
    assert (location.postcode, location.easting, location.northing) == ("CF10 3NQ", 317980, 177236)
    assert location.local_authority == "W06000015"
    assert location.hearing_loop is False
    assert "induction loops" in location.accessibility_notes
    assert sorted(service.schedules.values_list("weekday", flat=True)) == [4, 5]
    assert service.contacts.get().name == "Ann Persona"
    assert service.taxonomy_terms.get().name == "name"


def test_importing_again_updates_by_id(tmp_path):
    run_import(tmp_path, in_cardiff())
    changed = in_cardiff()
    changed["name"] = "Community Counselling Cardiff"
    changed["schedules"][0]["byday"] = "MO"
    output = run_import(tmp_path, changed)
    assert f"service {SERVICE_ID}: updated" in output
    service = Service.objects.get()
    assert service.name == "Community Counselling Cardiff"
    assert list(service.schedules.values_list("weekday", flat=True)) == [1]
    assert (Location.objects.count(), Contact.objects.count()) == (1, 1)


def test_the_profile_example_as_published_is_rejected_for_its_us_address(tmp_path):
    output = run_import(tmp_path, EXAMPLE)
    assert (
        f"service {SERVICE_ID}: rejected: location {LOCATION_ID}: “ABC 1234” is not a UK postcode."
        in output
    )
    assert "Services: 0 created, 0 updated, 1 rejected" in output
    assert nothing_written()


def test_a_dry_run_reports_and_writes_nothing(tmp_path):
    output = run_import(tmp_path, [in_cardiff()], "--dry-run")
    assert f"service {SERVICE_ID}: would be created" in output
    assert "(dry run: nothing was written)" in output
    assert nothing_written()


def test_an_unknown_postcode_without_coordinates_is_rejected(tmp_path):
    record = in_cardiff()
    location = record["service_at_locations"][0]["location"]
    del location["latitude"], location["longitude"]
    location["addresses"][0]["postal_code"] = "CF99 9ZZ"
    output = run_import(tmp_path, record)
    assert (
        f"location {LOCATION_ID}: We could not find the postcode CF99 9ZZ. Check it and try again."
        in output
    )
    assert nothing_written()


def test_a_postcode_alone_places_the_location(tmp_path):
    record = in_cardiff()
    location = record["service_at_locations"][0]["location"]
    del location["latitude"], location["longitude"]
    run_import(tmp_path, record)
    placed = Location.objects.get()
    assert (placed.easting, placed.northing) == (317989, 177266)
    assert placed.latitude is not None and placed.longitude is not None


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda r: r.pop("name"), "name is required"),
        (lambda r: r.update(status="open"), "status 'open' is not one of"),
        (lambda r: r.update(email="not an email"), "service: email: Enter a valid email address."),
        (lambda r: r.update(minimum_age=70, maximum_age=18), "minimum_age is greater than"),
        (
            lambda r: r.update(assured_date="last spring"),
            "assured_date 'last spring' is not a date",
        ),
        (lambda r: r.pop("organization"), "organization is required"),
        (
            lambda r: r["schedules"][0].update(freq="MONTHLY"),
            "only weekly sessions (freq WEEKLY, interval 1, byday) can be imported",
        ),
        (
            lambda r: r["schedules"][0].update(opens_at="18:00:00", closes_at="10:00:00"),
            "opens_at must be before closes_at",
        ),
        (lambda r: r["contacts"][0].pop("name"), "name is required"),
        (
            lambda r: r["service_at_locations"][0]["location"]["addresses"][0].update(
                postal_code="ABC 1234"
            ),
            "“ABC 1234” is not a UK postcode.",
        ),
        (
            lambda r: r["service_at_locations"][0]["location"].update(latitude=100),
            f"location {LOCATION_ID}: latitude 100 is out of range",
        ),
        (
            lambda r: r["service_at_locations"][0]["location"].update(latitude=40.7, longitude=-74),
            "is outside Great Britain",
        ),
        (
            lambda r: (
                r["attributes"][0].pop("taxonomy_term")
                and r["attributes"][0].update(taxonomy_term_id=str(uuid.uuid4()))
            ),
            "is unknown",
        ),
    ],
)
def test_a_bad_record_is_rejected_with_the_reason_and_writes_nothing(tmp_path, change, reason):
    record = in_cardiff()
    change(record)
    output = run_import(tmp_path, record)
    assert f"service {SERVICE_ID}: rejected: " in output
    assert reason in output
    assert nothing_written()


def test_one_bad_record_does_not_stop_the_good_ones(tmp_path):
    good = in_cardiff()
    bad = in_cardiff()
    bad |= {"id": str(uuid.uuid4()), "email": "nope"}
    bad["organization"] = bad["organization"] | {"id": str(uuid.uuid4()), "name": "Other Org"}
    output = run_import(tmp_path, {"contents": [bad, good], "total_pages": 1})
    assert "Services: 1 created, 0 updated, 1 rejected" in output
    assert list(Provider.objects.values_list("name", flat=True)) == ["Example Organization Inc."]


def test_a_failure_while_writing_rolls_the_whole_record_back(monkeypatch):
    def refuse(term):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(services.imports, "_term_for_service", refuse)
    result = services.service_import_hsds(record=in_cardiff())
    assert result.action == "rejected"
    assert "the database refused it: duplicate key" in result.reason
    assert nothing_written()
    assert not Schedule.objects.exists()


def test_ids_that_are_not_uuids_get_stable_derived_ones(tmp_path):
    record = in_cardiff()
    record["id"] = "svc-42"
    run_import(tmp_path, record, "--namespace", "https://feed.example.org")
    output = run_import(tmp_path, record, "--namespace", "https://feed.example.org")
    assert "service svc-42: updated" in output
    expected = uuid.uuid5(uuid.NAMESPACE_URL, "https://feed.example.org#service/svc-42")
    assert Service.objects.get().uuid == expected


def test_a_record_without_child_lists_leaves_ours_alone(tmp_path):
    run_import(tmp_path, in_cardiff())
    summary = {key: value for key, value in in_cardiff().items() if not isinstance(value, list)}
    summary["name"] = "Counselling"
    output = run_import(tmp_path, {"contents": [summary]})
    assert "service ac148810-d857-441c-9679-408f346de14b: updated" in output
    service = Service.objects.get()
    assert service.name == "Counselling"
    assert (service.schedules.count(), service.at_locations.count()) == (2, 1)


def test_languages_with_codes_set_welsh_and_others(tmp_path):
    record = in_cardiff()
    record["languages"] = [
        {"id": str(uuid.uuid4()), "code": "en"},
        {"id": str(uuid.uuid4()), "name": "Welsh"},
        {"id": str(uuid.uuid4()), "code": "pl"},
    ]
    run_import(tmp_path, record)
    service = Service.objects.get()
    assert (service.welsh_offered, service.other_languages) == (True, "pl")


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "is not JSON"),
        ('{"hello": "world"}', "is not a service, a list of services"),
    ],
)
def test_an_unreadable_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "feed.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_hsds", str(path), stdout=StringIO())


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_hsds", str(tmp_path / "nowhere.json"), stdout=StringIO())


def test_categories_in_a_feed_are_added_to_their_taxonomy(tmp_path):
    record = in_cardiff()
    term = record["attributes"][0]["taxonomy_term"]
    term |= {"taxonomy_id": str(uuid.uuid4()), "taxonomy": "Feed categories", "name": "Talking"}
    run_import(tmp_path, record)
    talking = TaxonomyTerm.objects.get()
    assert (talking.name, talking.code, talking.taxonomy.name) == (
        "Talking",
        "talking",
        "Feed categories",
    )
    assert str(talking.taxonomy.uuid) == term["taxonomy_id"]
    assert str(talking.uuid) == term["id"]


def test_it_reads_the_pages_of_another_oruk_api(monkeypatch):
    """The feed walks /services page by page, then fetches each service in full."""
    first, second = in_cardiff(), in_cardiff()
    second["id"] = str(uuid.uuid4())
    remote = "https://other.example.org/api/oruk"
    responses = {
        f"{remote}/services?page=1&per_page=1": {
            "total_pages": 2,
            "contents": [{"id": first["id"]}],
        },
        f"{remote}/services?page=2&per_page=1": {
            "total_pages": 2,
            "contents": [{"id": second["id"]}],
        },
        f"{remote}/services/{first['id']}": first,
        f"{remote}/services/{second['id']}": second,
    }
    monkeypatch.setattr(hsds_import, "fetch_json", responses.__getitem__)
    fetched = list(hsds_import.fetch_services(remote + "/", per_page=1))
    assert [(service_id, record["id"], error) for service_id, record, error in fetched] == [
        (first["id"], first["id"], ""),
        (second["id"], second["id"], ""),
    ]


def test_taxonomies_and_organizations_in_an_export_file_are_checked_too(tmp_path):
    from tests.factories import TaxonomyFactory

    TaxonomyFactory(name="Our categories")
    document = {
        "taxonomies": [
            {"id": str(uuid.uuid4()), "name": "Our categories", "description": ""},
            {"id": str(uuid.uuid4()), "name": "Theirs", "description": "", "taxonomy_terms": []},
        ],
        "organizations": [{"id": "org-1", "description": "No name"}],
        "services": [],
    }
    output = run_import(tmp_path, document)
    assert "rejected: taxonomy " in output
    assert "another taxonomy is already called 'Our categories'" in output
    assert "organization org-1: rejected: organization org-1: name is required" in output
    assert "Taxonomies: 1 created, 0 updated, 1 rejected" in output
    assert "Organizations: 0 created, 0 updated, 1 rejected" in output
    assert not Provider.objects.exists()
