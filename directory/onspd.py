"""Reading the ONS Postcode Directory (ONSPD) CSV, one row at a time.

Columns used (names as in the ONSPD user guide; older releases use `oslaua`
for the local authority and only `lsoa11`):

    pcds (or pcd)        the postcode
    oseast1m, osnrth1m   grid reference in metres (blank when ONS has none)
    lat, long            WGS84; 99.999999 / 0.000000 when ONS has none
    laua (or oslaua)     local authority code
    lsoa21 (or lsoa11)   Lower layer Super Output Area code
    doterm               yyyymm the postcode was terminated; blank while in use

The deprivation decile is taken only from an `imd_decile` column (1 to 10)
when a file has one. ONSPD itself carries `imd`, the IMD *rank* of the area
within its own nation's index, and turning a rank into a decile needs the size
and edition of each nation's index, which the file does not state; so a plain
ONSPD import leaves `imd_decile` as it was.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from core.postcodes import InvalidPostcode, normalise_postcode

from . import postcodes

REQUIRED = [("pcds", "pcd"), ("oseast1m",), ("osnrth1m",)]
MISSING_LATITUDE = Decimal("99.999999")


class BadRow(ValueError):
    """A row that cannot be imported; the message names the column and the problem."""


@dataclass
class Columns:
    postcode: str
    easting: str
    northing: str
    latitude: str | None
    longitude: str | None
    local_authority: str | None
    lsoa: str | None
    terminated: str | None
    imd_decile: str | None


def columns(header: Sequence[str]) -> Columns:
    """Which columns this file uses; BadRow naming the missing ones when it cannot be read."""
    names = {name.strip().lower(): name for name in header}

    def pick(*candidates):
        return next((names[c] for c in candidates if c in names), None)

    missing = [" or ".join(options) for options in REQUIRED if pick(*options) is None]
    if missing:
        raise BadRow(f"the file has no column {', '.join(missing)}")
    return Columns(
        postcode=pick("pcds", "pcd"),
        easting=pick("oseast1m"),
        northing=pick("osnrth1m"),
        latitude=pick("lat"),
        longitude=pick("long"),
        local_authority=pick("laua", "oslaua"),
        lsoa=pick("lsoa21", "lsoa11"),
        terminated=pick("doterm"),
        imd_decile=pick("imd_decile"),
    )


def _text(row, column, max_length):
    value = (row.get(column) or "").strip() if column else ""
    if len(value) > max_length:
        raise BadRow(f"{column}: “{value}” is longer than {max_length} characters")
    return value


def _integer(row, column, low, high):
    value = (row.get(column) or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRow(f"{column}: “{value}” is not a whole number") from None
    if not low <= number <= high:
        raise BadRow(f"{column}: {number} is not between {low} and {high}")
    return number


def _decimal(row, column, low, high):
    value = (row.get(column) or "").strip() if column else ""
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadRow(f"{column}: “{value}” is not a number") from None
    if not Decimal(low) <= number <= Decimal(high):
        raise BadRow(f"{column}: {number} is not between {low} and {high}")
    return round(number, 6)


def parse(row: dict, cols: Columns) -> dict:
    """One CSV row as the fields of a Postcode; BadRow says why when it cannot be."""
    raw = row.get(cols.postcode) or ""
    try:
        postcode = normalise_postcode(raw)
    except InvalidPostcode:
        raise BadRow(f"{cols.postcode}: “{raw.strip()}” is not a UK postcode") from None
    # The grid covers Great Britain; Northern Ireland rows (BT) are given on the
    # Irish Grid, so their British grid position is worked out from lat/long below.
    easting = _integer(row, cols.easting, 0, 700_000)
    northing = _integer(row, cols.northing, 0, 1_300_000)
    if (easting is None) != (northing is None):
        raise BadRow(f"{cols.easting}, {cols.northing}: only one of the pair is given")
    latitude = _decimal(row, cols.latitude, -90, 100)
    longitude = _decimal(row, cols.longitude, -180, 180)
    if latitude == MISSING_LATITUDE:
        latitude = longitude = None
    if postcode.startswith("BT"):
        easting = northing = None
        if latitude is not None and longitude is not None:
            easting, northing = postcodes.latlon_to_grid(latitude, longitude)

    terminated_on = None
    terminated = _text(row, cols.terminated, 6)
    if terminated:
        if not (terminated.isdigit() and len(terminated) == 6):
            raise BadRow(f"{cols.terminated}: “{terminated}” is not a year and month (yyyymm)")
        try:
            terminated_on = date(int(terminated[:4]), int(terminated[4:]), 1)
        except ValueError:
            raise BadRow(f"{cols.terminated}: “{terminated}” is not a real month") from None

    fields = {
        "postcode": postcode,
        "easting": easting,
        "northing": northing,
        "latitude": latitude,
        "longitude": longitude,
        "local_authority": _text(row, cols.local_authority, 9),
        "lsoa": _text(row, cols.lsoa, 9),
        "terminated_on": terminated_on,
    }
    if cols.imd_decile:
        fields["imd_decile"] = _integer(row, cols.imd_decile, 1, 10)
    return fields
