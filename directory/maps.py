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
from .postcodes import Place, grid_to_latlon


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


def _latlon(location: Location) -> tuple[Decimal, Decimal] | None:
    if location.latitude is not None and location.longitude is not None:
        return location.latitude, location.longitude
    if location.easting is not None and location.northing is not None:
        return grid_to_latlon(location.easting, location.northing)
    return None


def map_points(numbered: Iterable[tuple[int, Service]]) -> list[MapPoint]:
    """A pin for each place of each result, carrying the result's number in the list."""
    points: list[MapPoint] = []
    for number, service in numbered:
        url = reverse("directory:service", args=[service.uuid])
        for location in _located(service):
            latlon = _latlon(location)
            if latlon is None:
                continue
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
