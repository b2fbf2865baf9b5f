"""The database out of reach under /fhir/: a 503 OperationOutcome with Retry-After, never a
page of HTML and never a 500 (as the partner API answers problem JSON)."""

import pytest
from django.test import Client

from tests.accounts.test_database_outage import database_out_of_reach

from .conftest import valid_r4

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/fhir/HealthcareService", "/fhir/Task"])
def test_the_database_out_of_reach_is_a_503_operation_outcome(settings, afon_fhir, path):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    with database_out_of_reach():
        response = client.get(path, **afon_fhir.headers())
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"] == "application/fhir+json"
    assert valid_r4(response.json()).issue[0].code == "transient"
