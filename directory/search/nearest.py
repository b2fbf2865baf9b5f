"""The services nearest a place, without measuring the distance to every one.

Distances are straight lines on the British National Grid. On PostgreSQL the
locations carry a GiST index on `point(easting, northing)` (migration
0005), and ordering by `<->` with a LIMIT walks that index outwards from the
place, checking each location's service against the search as it goes: the work
grows with the page asked for, not with the directory. SQLite sorts every
matching location by the same distance, which is fine at its size.

A service at several places is as near as its nearest. The walk asks for a
quarter more locations than services wanted and widens until enough services
are certain (those strictly nearer than the last location fetched).
"""

from collections.abc import Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression, F, FloatField, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from ..postcodes import Place

FIRST_WALK = 64


class GridDistance(Expression):
    """Metres from `near` to the location reached through `prefix`."""

    output_field = FloatField()

    def __init__(self, near: Place, prefix: str = "location__") -> None:
        super().__init__()
        self.near = near
        self.easting: Any = F(f"{prefix}easting")
        self.northing: Any = F(f"{prefix}northing")

    def get_source_expressions(self) -> list[Any]:
        return [self.easting, self.northing]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.easting, self.northing = exprs

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        easting, easting_params = compiler.compile(self.easting)
        northing, northing_params = compiler.compile(self.northing)
        x, y = self.near.easting, self.near.northing
        sql = f"SQRT(({easting} - %s) * ({easting} - %s) + ({northing} - %s) * ({northing} - %s))"
        params = (*easting_params, x, *easting_params, x, *northing_params, y, *northing_params, y)
        return sql, params

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        # The very expression of the GiST index, so that ORDER BY ... LIMIT walks it.
        easting, easting_params = compiler.compile(self.easting)
        northing, northing_params = compiler.compile(self.northing)
        sql = f"point(({easting})::float8, ({northing})::float8) <-> point(%s::float8, %s::float8)"
        return sql, (*easting_params, *northing_params, self.near.easting, self.near.northing)


def nearest_services(
    locations: QuerySet[Any],
    near: Place,
    wanted: int,
    *,
    then: tuple[str, ...] = (),
    key: str = "service_id",
) -> tuple[list[tuple[int, float]], bool]:
    """(service id, metres) of the `wanted` nearest services, nearest first, from
    `locations` (ServiceAtLocation rows already narrowed to the services searched for,
    each with a grid position); and whether every such service was seen.

    `then` names values of the rows that order services at the same distance. They are
    sorted here, not in SQL: a second ORDER BY key would stop PostgreSQL walking the index.
    `key` is what is counted: a service ("service_id", each at its nearest place) or each
    row ("pk", a service at each of its places).
    """
    walk = max(FIRST_WALK, wanted + wanted // 4)
    distance = GridDistance(near)
    while True:
        rows = list(
            locations.annotate(distance=distance)
            .order_by("distance")
            .values_list("distance", *then, key)[:walk]
        )
        everything = len(rows) < walk
        # Past the last distance fetched there may be ties not fetched yet: only what is
        # strictly nearer is certain, unless the walk has seen everything.
        certain = rows if everything else [row for row in rows if row[0] < rows[-1][0]]
        nearest: dict[int, float] = {}
        for row in sorted(certain):
            nearest.setdefault(row[-1], float(row[0]))
        if everything:
            return list(nearest.items()), True
        if len(nearest) >= wanted:
            return list(nearest.items())[:wanted], False
        walk *= 4
