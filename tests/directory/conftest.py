import pytest

from directory.services import service_refresh_search
from tests.factories import (
    LocationFactory,
    ScheduleFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    TaxonomyTermFactory,
)

# Real postcodes from the packaged ONS data, and where they are on the grid.
PONTYPRIDD = "CF37 1AB"  # 307200, 189800
BARRY = "CF62 7AB"  # 310833, 167497


def listed(*, easting=None, northing=None, weekdays=(), terms=(), location=None, **fields):
    """A service at one location (on the grid where given), with weekly sessions and categories."""
    service = ServiceFactory(**fields)
    if location is None:
        location = LocationFactory(
            easting=easting if easting is not None else 307200,
            northing=northing if northing is not None else 189800,
        )
    ServiceAtLocationFactory(service=service, location=location)
    for weekday in weekdays:
        ScheduleFactory(service=service, weekday=weekday)
    service.taxonomy_terms.set(terms)
    service_refresh_search(service_ids=[service.pk])
    return service


@pytest.fixture
def gardening(db):
    return TaxonomyTermFactory(
        code="gardening", name="Gardening and green space", name_cy="Garddio"
    )
