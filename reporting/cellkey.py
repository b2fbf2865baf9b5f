"""The cell key method (ONS, Census 2021 and its flexible table builder): noise that a reader
cannot average away, because the same records always get the same noise.

Every counted record (a referral, a connection, an unmet need; an outcome
pair counts as its referral) carries a record key, a number from 0 to 255
worked out from the record's uuid and STATISTICS_CELL_KEY_SECRET, and stored
on its fact row (facts.py), so a rebuild of the rollups gives the same keys.
A published cell's key is the sum of its records' keys, modulo 256: the cubes
keep the sum beside each count (`<count>_key`) and the selectors add it up in
the same query as the count (`tables.Tally`). The perturbation for a cell is
looked up in PTABLE from its true value and its cell key, so

- the same set of records gives the same published value, however the
  question was put (a month window, a filter, a total in another table);
- two different sets get noise that looks independent to anyone without the
  secret, so subtracting overlapping totals no longer pins a small count.

tables.publish_count then rounds the perturbed value to 5 and shows 1 to 4 as
"<5" (README, "Statistics": the threat model and what is not protected).
"""

import hashlib
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import CharField, Func, IntegerField, Value
from django.db.models.functions import Cast, Replace

KEY_RANGE = 256  # record and cell keys run from 0 to 255

# The perturbation table (ptable), data rather than code: for each true value, how many of
# the 256 cell keys give each perturbation (keys are taken in order: the first ones the
# most negative perturbation). Row 3 serves every value of 3 and more. Every row sums to
# 256 and has mean 0 (no bias in any total); no perturbation is larger than 3; a value never
# goes below 0, and 0 is never perturbed, so an empty cell stays 0. As in the ONS tables,
# small values may become 0 (1 in a quarter of cells, 2 in 8%, 3 in 2%), so a published 0
# may stand for 1 to 3, while anything shown as "<5" or more has records in it.
PTABLE: dict[int, dict[int, int]] = {
    0: {0: 256},
    1: {-1: 64, 0: 144, 1: 32, 2: 16},
    2: {-2: 20, -1: 48, 0: 132, 1: 32, 2: 16, 3: 8},
    3: {-3: 4, -2: 16, -1: 48, 0: 120, 1: 48, 2: 16, 3: 4},
}
MAX_PERTURBATION = 3


def _lookup(row: dict[int, int]) -> tuple[int, ...]:
    """The perturbation for each of the 256 cell keys, from a row of PTABLE."""
    return tuple(change for change, keys in sorted(row.items()) for _key in range(keys))


_LOOKUPS = {value: _lookup(row) for value, row in PTABLE.items()}
_LARGEST_ROW = max(PTABLE)


def perturbation(value: int, cell_key: int) -> int:
    """The noise added to a cell of this true value and cell key (any integer: taken mod 256)."""
    return _LOOKUPS[min(value, _LARGEST_ROW)][cell_key % KEY_RANGE]


def perturbed(value: int, cell_key: int) -> int:
    return value + perturbation(value, cell_key)


def record_key(uuid: UUID) -> int:
    """A record's key: the first byte of SHA-256 of the secret and the uuid's 32 hex digits.

    The same as RecordKey computes in the database (the tests check they agree).
    """
    secret = settings.STATISTICS_CELL_KEY_SECRET
    return hashlib.sha256((secret + uuid.hex).encode()).digest()[0]


HEX_DIGITS = "0123456789abcdef"


class RecordKey(Func):
    """record_key() of a uuid column, in SQL: PostgreSQL (built-in sha256, no extension)
    and SQLite (Django's SHA256 function, then the first two hex digits read as a number).

    A keyed hash rather than a random number so that every rebuild, full or incremental,
    gives a record the same key without having to remember it anywhere else; a secret so
    that nobody can work out a record's key, and so the noise, from its uuid.
    """

    output_field = IntegerField()
    arity = 1

    def __init__(self, uuid_field: str, **extra: Any) -> None:
        # 32 hex digits on both databases: PostgreSQL writes a uuid with hyphens, SQLite
        # stores it without.
        hex_digits = Replace(Cast(uuid_field, CharField()), Value("-"), Value(""))
        super().__init__(hex_digits, **extra)

    def _keyed(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(%s || {sql})", [settings.STATISTICS_CELL_KEY_SECRET, *params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        keyed, params = self._keyed(compiler, connection)
        return f"get_byte(sha256(convert_to({keyed}, 'UTF8')), 0)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        keyed, params = self._keyed(compiler, connection)

        def digit(position: int) -> str:
            return f"(instr('{HEX_DIGITS}', substr(SHA256({keyed}), {position}, 1)) - 1)"

        return f"({digit(1)} * 16 + {digit(2)})", [*params, *params]
