"""Whether a service's document holds some terms: one condition, written for each database.

A condition is a small tree (`Term`, `AnyOf`, `AllOf`, `NoneOf`). On PostgreSQL it
becomes a tsquery against the GIN-indexed `search_vector` (`'garden':AB | 'c12'`);
on SQLite, `instr` tests on the `search_terms` text. Both read the same document,
so both answer the same.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F
from django.db.models.sql.compiler import SQLCompiler

# Terms are made by directory.search.text: letters and digits only. Checked again
# here because they are written into a tsquery literal.
_SAFE_TERM = re.compile(r"^[^\W_]+$")


@dataclass(frozen=True)
class Term:
    term: str
    weights: str = "ABCD"  # the fields it may be in (documents.WEIGHTS)

    def __post_init__(self) -> None:
        if not _SAFE_TERM.match(self.term) or not self.weights or set(self.weights) - set("ABCD"):
            raise ValueError(f"not a search term: {self.term!r}:{self.weights!r}")


@dataclass(frozen=True)
class AnyOf:
    parts: tuple["Node", ...]


@dataclass(frozen=True)
class AllOf:
    parts: tuple["Node", ...]


@dataclass(frozen=True)
class NoneOf:
    parts: tuple["Node", ...]


Node = Union[Term, AnyOf, AllOf, NoneOf]  # noqa: UP007 (a recursive alias needs Union here)


def tsquery(node: Node) -> str:
    if isinstance(node, Term):
        weights = "" if node.weights == "ABCD" else f":{node.weights}"
        return f"'{node.term}'{weights}"
    if isinstance(node, NoneOf):
        return "(" + " & ".join(f"!{tsquery(part)}" for part in node.parts) + ")"
    joiner = " | " if isinstance(node, AnyOf) else " & "
    return "(" + joiner.join(tsquery(part) for part in node.parts) + ")"


def sqlite_condition(node: Node, column: str) -> tuple[str, list[Any]]:
    if isinstance(node, Term):
        if node.weights == "ABCD":
            return f"instr({column}, %s) > 0", [f" {node.term}:"]
        tests = [f"instr({column}, %s) > 0"] * len(node.weights)
        return "(" + " OR ".join(tests) + ")", [f" {node.term}:{w.lower()} " for w in node.weights]
    compiled = [sqlite_condition(part, column) for part in node.parts]
    params = [param for _, part_params in compiled for param in part_params]
    if isinstance(node, NoneOf):
        return "NOT (" + " OR ".join(sql for sql, _ in compiled) + ")", params
    joiner = " OR " if isinstance(node, AnyOf) else " AND "
    return "(" + joiner.join(sql for sql, _ in compiled) + ")", params


class Matches(Expression):
    """True where the service's document satisfies `node`; `prefix` reaches the service
    from another model ("service__" from a ServiceAtLocation)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, node: Node, prefix: str = "") -> None:
        super().__init__()
        self.node = node
        self.vector: Any = F(f"{prefix}search_vector")
        self.terms: Any = F(f"{prefix}search_terms")

    def get_source_expressions(self) -> list[Any]:
        return [self.vector, self.terms]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.vector, self.terms = exprs

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.terms)
        sql, condition_params = sqlite_condition(self.node, column)
        return sql, (*params, *condition_params)

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.vector)
        return f"{column} @@ %s::tsquery", (*params, tsquery(self.node))
