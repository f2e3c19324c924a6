"""Leaves of the lineage walk: a table column, and how it was used on its way to an output."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import IntEnum

from sqlglot import exp

from graph_schema.sql_lineage.models import RESOLVED
from graph_schema.sql_lineage.qualify import WRITTEN_MARK

STAR = "*"


class Kind(IntEnum):
    """How a column is used; composing two steps keeps the strongest."""

    BARE = 0
    DERIVED = 1
    AGGREGATED = 2
    WINDOW = 3


@dataclass(frozen=True, eq=False)
class Leaf:
    """`expression` is the innermost expression that transforms the column (None while it is bare)."""

    table: str
    column: str
    kind: Kind
    expression: exp.Expr | None
    confidence: float


@dataclass(frozen=True)
class Output:
    name: str
    leaves: tuple[Leaf, ...]


_AGGREGATING = (exp.AggFunc, exp.Filter, exp.WithinGroup)


def table_name(table: exp.Table) -> str:
    name = ".".join(p for p in (table.catalog, table.db, table.name) if p)
    return name or table.this.sql()


def compose(
    leaves: Iterable[Leaf], kind: Kind, step: exp.Expr | None = None, cap: float = RESOLVED
) -> list[Leaf]:
    """`leaves` seen through one more step `step` of kind `kind`, confidence capped at `cap`."""
    out = []
    for leaf in leaves:
        expression = leaf.expression if leaf.expression is not None else (step if kind > Kind.BARE else None)
        out.append(
            replace(leaf, kind=max(leaf.kind, kind), expression=expression, confidence=min(leaf.confidence, cap))
        )
    return out


def context_kind(node: exp.Expr, root: exp.Expr) -> Kind:
    """How `node` is used within `root`: bare, or inside an expression, an aggregate or a window."""
    kind = Kind.BARE
    current = node
    while current is not root and current.parent is not None:
        parent = current.parent
        if isinstance(parent, exp.Window):
            return Kind.WINDOW
        if isinstance(parent, _AGGREGATING):
            kind = Kind.AGGREGATED
        elif kind is Kind.BARE and not isinstance(parent, (exp.Paren, exp.Subquery)):
            kind = Kind.DERIVED
        current = parent
    return kind


def has_aggregate(expression: exp.Expr) -> bool:
    return any(isinstance(node, (exp.AggFunc, exp.Window)) for node in expression.walk())


def is_using_coalesce(expression: exp.Expr) -> bool:
    """`COALESCE(a.id, b.id)` that sqlglot wrote for a bare `id` of a JOIN ... USING (id)."""
    if not isinstance(expression, exp.Coalesce):
        return False
    args = [expression.this, *expression.expressions]
    return all(
        isinstance(a, exp.Column) and not a.meta.get(WRITTEN_MARK) and a.name == args[0].name for a in args
    )


def merge(leaves: Iterable[Leaf]) -> tuple[Leaf, ...]:
    """One leaf per table column: the strongest use and its expression, the highest confidence.

    Keeps leaf counts bounded by the number of table columns, however often a scope is re-read.
    """
    best: dict[tuple[str, str], Leaf] = {}
    for leaf in leaves:
        key = (leaf.table, leaf.column)
        held = best.get(key)
        if held is None:
            best[key] = leaf
            continue
        strongest = leaf if leaf.kind > held.kind else held
        confidence = max(leaf.confidence, held.confidence)
        if strongest is not held or confidence != held.confidence:
            best[key] = replace(strongest, confidence=confidence)
    return tuple(best.values())
