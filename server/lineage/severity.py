"""How a change to a column reaches what reads it: the per-edge rules of impact_analysis.

An effect is a severity plus whether the consumer now carries the column's new type. Breaking: it will fail
or be wrong once the change lands (it reads a dropped column, sums a column that became text, filters on a
value that no longer exists). At risk: its values may change, or whether it is touched cannot be told.

For a type change, a passthrough or rename carries the new type on (at risk: it survives, but its
consumers see the new type); arithmetic, aggregation, window functions and casts compute a type of their
own, and break when the new type is incompatible with the old one (numeric to text, say) - COUNT, MIN and
MAX work on any type and only put values at risk.
"""

import re
from dataclasses import dataclass
from enum import IntEnum

from graph_schema.kinds import NodeKind, Transformation
from graph_schema.models import Node


class Severity(IntEnum):
    NONE = 0
    AT_RISK = 1
    BREAKING = 2

    @property
    def label(self) -> str:
        return "breaking" if self is Severity.BREAKING else "at_risk"


@dataclass(frozen=True, order=True)
class Effect:
    severity: Severity
    carries_type: bool = False  # the consumer's type is the changed column's new type


BREAKS = Effect(Severity.BREAKING)
AT_RISK = Effect(Severity.AT_RISK)
TYPE_CARRIED = Effect(Severity.AT_RISK, carries_type=True)

_CARRYING = frozenset({Transformation.PASSTHROUGH.value, Transformation.RENAMED.value})
# Functions that accept any comparable type, or only rank rows.
_ANY_TYPE_AGGREGATE = re.compile(
    r"^\s*(count|min|max|any_value|first|last|arbitrary|row_number|rank|dense_rank|percent_rank|cume_dist|ntile)"
    r"\s*\(",
    re.IGNORECASE,
)
_OVER = re.compile(r"\)\s+over\s*\(", re.IGNORECASE)
# Measure aggregations that need numbers.
NUMERIC_AGGS = frozenset({"sum", "average", "avg", "percentile", "median", "stddev", "variance"})

_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("boolean", re.compile(r"^(bool|boolean|bit)\b")),
    ("temporal", re.compile(r"^(date|time|timestamp|timestamptz|datetime|interval)\b")),
    (
        "numeric",
        re.compile(
            r"^(tinyint|smallint|int|integer|bigint|hugeint|ubigint|uinteger|usmallint|utinyint|int\d+|uint\d+|"
            r"decimal|numeric|number|float|float\d+|double|real|money|serial|bigserial)\b"
        ),
    ),
    ("string", re.compile(r"^(varchar|char|character|text|string|nvarchar|nchar|clob|citext|bpchar|uuid)\b")),
)


def type_family(data_type: str | None) -> str | None:
    """numeric, string, temporal, boolean, other; None when the type is not known."""
    if not data_type or not data_type.strip():
        return None
    text = data_type.strip().lower().replace("double precision", "double")
    for family, pattern in _FAMILIES:
        if pattern.match(text):
            return family
    return "other"


def compatible(old_type: str | None, new_type: str | None) -> bool | None:
    """Same family: compatible. None when either type is unknown."""
    old, new = type_family(old_type), type_family(new_type)
    if old is None or new is None:
        return None
    return old == new


@dataclass(frozen=True)
class TypeChange:
    old_type: str | None
    new_type: str

    @property
    def compatible(self) -> bool | None:
        return compatible(self.old_type, self.new_type)

    def describe(self) -> str:
        old = self.old_type or "an unknown type"
        verdict = {True: "compatible", False: "incompatible", None: "of unknown compatibility"}[self.compatible]
        return f"{old} -> {self.new_type} ({verdict})"


def value_step(source: Effect, transformation: str | None, expression: str | None, target: Node,
               change: TypeChange | None, source_name: str = "") -> Effect:
    """The effect on `target` of reading a column (or field) named `source_name` whose effect is `source`.

    `change` is the type change when the walk started from one, else None (drop, logic change).
    """
    if source.severity is Severity.BREAKING:
        return BREAKS
    if not source.carries_type or change is None:
        return AT_RISK
    carried = transformation is None or transformation in _CARRYING
    if target.kind is NodeKind.MEASURE:
        return _measure_step(carried, target, change)
    if target.kind is NodeKind.DIMENSION:
        if target.props.get("dimension_type") == "time" and type_family(change.new_type) not in (None, "temporal"):
            return BREAKS
        return TYPE_CARRIED if carried else _computed(expression, change)
    if carried:
        return TYPE_CARRIED
    if transformation == Transformation.WINDOW.value and _orders_only(expression, source_name):
        return AT_RISK
    return _computed(expression, change)


def _orders_only(expression: str | None, column: str) -> bool:
    """A window function whose arguments do not name `column`: the column only partitions or orders it."""
    if not expression or not column:
        return False
    over = _OVER.search(expression)
    if over is None:
        return False
    return column.lower() not in expression[: over.start()].lower()


def _measure_step(carried: bool, measure: Node, change: TypeChange) -> Effect:
    agg = str(measure.props.get("agg") or "").lower()
    new_family = type_family(change.new_type)
    if agg in NUMERIC_AGGS and new_family not in (None, "numeric"):
        return BREAKS
    if agg == "sum_boolean" and new_family not in (None, "boolean"):
        return BREAKS
    if not carried and change.compatible is False:
        return BREAKS
    return AT_RISK


def _computed(expression: str | None, change: TypeChange) -> Effect:
    if expression and _ANY_TYPE_AGGREGATE.match(expression):
        return AT_RISK
    return BREAKS if change.compatible is False else AT_RISK


def shaping_step(source: Effect, role: str, change: TypeChange | None) -> Effect:
    """The effect on a dataset whose rows `source` filters, joins or groups."""
    if source.severity is Severity.BREAKING:
        return BREAKS
    if source.carries_type and change is not None and role in ("filter", "join") and change.compatible is False:
        return BREAKS
    return AT_RISK


def relation(transformation: str | None, expression: str | None, source: str) -> str:
    """How a consumer reads `source`, in words."""
    verbs = {
        "passthrough": f"selects {source}",
        "renamed": f"selects {source} under another name",
        "derived": f"computes from {source}",
        "aggregated": f"aggregates {source}",
        "window": f"uses {source} in a window function",
        "filter": f"filters on {source}",
        "join": f"joins on {source}",
        "group_by": f"groups by {source}",
    }
    text = verbs.get(transformation or "", f"reads {source}")
    if expression and transformation in ("derived", "aggregated", "window"):
        text += f" ({_short(expression)})"
    return text


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
