"""Where search results are: the distance from a place, and the pins of the results map.

Both read the locations a results page already has (`services_search` prefetches
each service's `at_locations` with their `location`), so a page of results costs
no query more for its distances and its map. The map itself is drawn in the
browser (Leaflet, `static/js/results-map.js`) from the tile server set in
`MAP_TILE_URL`; the list of results stays the page, and the map only repeats it.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

from .models import Location, Service
from .postcodes import Place, grids_to_latlons


class MapPoint(TypedDict):
    """One pin: a place where the result numbered `number` happens."""

    number: int
    label: str  # what a screen reader says of the pin: "3: Growing group, Church hall"
    url: str
    lat: float
    lon: float


def map_enabled() -> bool:
    """A deployment turns the map off by setting MAP_TILE_URL to nothing."""
    return bool(settings.MAP_TILE_URL)


def _located(service: Service) -> list[Location]:
    return [at.location for at in service.at_locations.all()]


def nearest_distance_m(service: Service, place: Place) -> float | None:
    """Straight-line metres from `place` to the nearest of the service's places; None if unknown."""
    distances = [
        place.distance_to(location.easting, location.northing)
        for location in _located(service)
        if location.easting is not None and location.northing is not None
    ]
    return min(distances) if distances else None


def _stored_latlon(location: Location) -> tuple[Decimal, Decimal] | None:
    if location.latitude is not None and location.longitude is not None:
        return location.latitude, location.longitude
    return None


def _grid(location: Location) -> tuple[int, int] | None:
    if location.easting is not None and location.northing is not None:
        return location.easting, location.northing
    return None


def map_points(numbered: Iterable[tuple[int, Service]]) -> list[MapPoint]:
    """A pin for each place of each result, carrying the result's number in the list.
    Places known only on the grid are converted together (`grids_to_latlons`)."""
    placed: list[tuple[int, Service, str, Location, tuple[Decimal, Decimal] | None]] = []
    on_the_grid: list[tuple[int, int]] = []  # of the placed without a stored latitude
    for number, service in numbered:
        url = reverse("directory:service", args=[service.uuid])
        for location in _located(service):
            stored = _stored_latlon(location)
            grid = None if stored else _grid(location)
            if stored or grid:
                placed.append((number, service, url, location, stored))
            if grid:
                on_the_grid.append(grid)
    converted = iter(grids_to_latlons(on_the_grid))
    points: list[MapPoint] = []
    for number, service, url, location, stored in placed:
        latlon = stored or next(converted)
        points.append(
            {
                "number": number,
                "label": gettext("%(number)s: %(service)s, %(place)s")
                % {
                    "number": number,
                    "service": service.display_name,
                    "place": location.display_name,
                },
                "url": url,
                "lat": float(latlon[0]),
                "lon": float(latlon[1]),
            }
        )
    return points
