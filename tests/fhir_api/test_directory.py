"""The directory through FHIR: public, like the Open Referral API; R4 resources in searchsets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Service
from tests.factories import (
    LocationFactory,
    ProviderFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    TaxonomyTermFactory,
)

from .conftest import valid_r4

pytestmark = pytest.mark.django_db


@pytest.fixture
def choir(db):
    provider = ProviderFactory(name="Teg Valley Singers", charity_number="1234567")
    hall = LocationFactory(provider=provider, name="Chapel Hall", postcode="CF10 1EP")
    service = ServiceFactory(
        provider=provider, name="Community choir", welsh_offered=True, eligibility="Adults."
    )
    service.taxonomy_terms.add(TaxonomyTermFactory(code="arts", name="Arts"))
    ServiceAtLocationFactory(service=service, location=hall)
    return service


def _bundle(client, path, query=None):
    response = client.get(path, query or {})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    valid_r4(response.json())
    return response.json()


def test_healthcare_services_are_public(client, choir):
    bundle = _bundle(client, "/fhir/HealthcareService")
    assert bundle["total"] == 1
    service = bundle["entry"][0]["resource"]
    assert service["name"] == "Community choir"
    assert service["providedBy"]["reference"] == f"Organization/{choir.provider.uuid}"
    assert service["communication"][0]["coding"][0]["code"] == "cy"
    read = client.get(f"/fhir/HealthcareService/{choir.uuid}")
    assert read.status_code == 200 and valid_r4(read.json()).id == str(choir.uuid)


def test_searches_by_name_organization_and_location(client, choir):
    hall = choir.at_locations.get().location
    for query in (
        {"name": "community"},
        {"organization": f"Organization/{choir.provider.uuid}"},
        {"location": f"Location/{hall.uuid}"},
        {"active": "true"},
        {"_lastUpdated": "ge2000-01-01"},
    ):
        assert _bundle(client, "/fhir/HealthcareService", query)["total"] == 1, query
    assert _bundle(client, "/fhir/HealthcareService", {"name": "knitting"})["total"] == 0


def test_organizations_and_locations(client, choir):
    organisation = _bundle(client, "/fhir/Organization", {"name": "teg"})["entry"][0]["resource"]
    assert organisation["name"] == "Teg Valley Singers"
    place = _bundle(client, "/fhir/Location", {"address-postalcode": "CF10"})["entry"][0]
    assert place["resource"]["address"]["postalCode"] == "CF10 1EP"
    assert place["resource"]["position"]["latitude"] == pytest.approx(51.475)
    assert valid_r4(client.get(f"/fhir/Organization/{choir.provider.uuid}").json())
    assert valid_r4(client.get(f"/fhir/Location/{place['resource']['id']}").json())


def test_a_closed_service_is_not_listed(client, choir):
    Service.objects.filter(pk=choir.pk).update(status=Service.Status.CLOSED)
    assert _bundle(client, "/fhir/HealthcareService")["total"] == 0
    response = client.get(f"/fhir/HealthcareService/{choir.uuid}")
    assert response.status_code == 404
    assert valid_r4(response.json()).issue[0].code == "not-found"


def test_a_bad_parameter_is_an_operation_outcome(client, choir):
    response = client.get("/fhir/HealthcareService", {"_count": "x"})
    assert response.status_code == 400
    assert valid_r4(response.json()).issue[0].expression == ["_count"]


@pytest.mark.parametrize(
    "path", ["/fhir/HealthcareService", "/fhir/Organization", "/fhir/Location"]
)
def test_queries_do_not_grow_with_rows(client, choir, path):
    def count():
        with CaptureQueriesContext(connection) as queries:
            _bundle(client, path)
        return len(queries)

    few = count()
    for _number in range(6):
        ServiceAtLocationFactory(service=ServiceFactory(), location=LocationFactory())
    assert count() == few
