"""What an MBQL query reads and produces: source tables and cards, output columns, row-shaping fields.

MBQL names columns by field id (`["field", 105, opts]`, legacy `["field-id", 105]`) or, over a saved
question or nested query, by name (`["field", "ordered_at", opts]`). A reference here is either
("field", id) or ("name", column name) and the caller maps it to a warehouse column or a card's field.
"""

from dataclasses import dataclass, field
from typing import Any

from graph_schema.kinds import Transformation

Ref = tuple[str, int | str]


@dataclass
class Output:
    name: str
    sources: list[tuple[Ref, Transformation]] = field(default_factory=list)


@dataclass
class MbqlLineage:
    tables: list[int] = field(default_factory=list)
    cards: list[int] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    shaping: list[tuple[Ref, Transformation]] = field(default_factory=list)
    # the query's rows are the source's rows: every source column is an output (no breakout or aggregation)
    raw_rows: bool = False
    problems: list[str] = field(default_factory=list)


def refs(clause: Any) -> list[Ref]:
    """Every column reference inside an MBQL clause, in order, once."""
    found: list[Ref] = []

    def walk(node: Any) -> None:
        if isinstance(node, list) and node:
            head = node[0]
            if head == "field" and len(node) >= 2 and isinstance(node[1], (int, str)):
                found.append(("field", node[1]) if isinstance(node[1], int) else ("name", node[1]))
                return
            if head == "field-id" and len(node) == 2 and isinstance(node[1], int):
                found.append(("field", node[1]))
                return
            if head == "field-literal" and len(node) >= 2 and isinstance(node[1], str):
                found.append(("name", node[1]))
                return
            for child in node[1:] if isinstance(head, str) else node:
                walk(child)
        elif isinstance(node, dict):
            for child in node.values():
                walk(child)

    walk(clause)
    return list(dict.fromkeys(found))


def _ref_name(ref: Ref, names: dict[int, str]) -> str:
    return names.get(ref[1], str(ref[1])) if ref[0] == "field" and isinstance(ref[1], int) else str(ref[1])


def _source(query: dict[str, Any], out: MbqlLineage) -> None:
    source = query.get("source-table")
    if isinstance(source, int):
        out.tables.append(source)
    elif isinstance(source, str) and source.startswith("card__") and source[6:].isdigit():
        out.cards.append(int(source[6:]))
    elif "source-query" in query:
        inner = analyse(query["source-query"], {})
        out.tables += inner.tables
        out.cards += inner.cards
        out.problems.append("reads a nested query: its columns are followed by name only")
    else:
        out.problems.append(f"source-table {source!r} is not a table id or card__N")


def analyse(query: dict[str, Any], names: dict[int, str]) -> MbqlLineage:
    """`names` maps field ids to column names (for naming outputs as Metabase does)."""
    out = MbqlLineage()
    _source(query, out)
    for join in query.get("joins") or []:
        if isinstance(join, dict):
            _source(join, out)
            out.shaping += [(r, Transformation.JOIN) for r in refs(join.get("condition"))]
    aggregations = query.get("aggregation") or []
    breakouts = query.get("breakout") or []
    expressions = query.get("expressions") or {}
    for name, clause in expressions.items():
        out.outputs.append(Output(str(name), [(r, Transformation.DERIVED) for r in refs(clause)]))
    for clause in breakouts:
        found = refs(clause)
        options = clause[2] if isinstance(clause, list) and len(clause) > 2 and isinstance(clause[2], dict) else {}
        bucketed = bool(options.get("temporal-unit") or options.get("binning"))
        how = Transformation.DERIVED if bucketed else Transformation.PASSTHROUGH
        if found:
            out.outputs.append(Output(_ref_name(found[0], names), [(found[0], how)]))
        if aggregations:
            out.shaping += [(r, Transformation.GROUP_BY) for r in found]
    seen: dict[str, int] = {}
    for clause in aggregations:
        name, inner = _aggregation_name(clause)
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}_{seen[name]}"
        out.outputs.append(Output(label, [(r, Transformation.AGGREGATED) for r in refs(inner)]))
    out.shaping += [(r, Transformation.FILTER) for r in refs(query.get("filter"))]
    if not aggregations and not breakouts:
        listed = query.get("fields")
        if isinstance(listed, list) and listed:
            for ref in [r for clause in listed for r in refs(clause)]:
                out.outputs.append(Output(_ref_name(ref, names), [(ref, Transformation.PASSTHROUGH)]))
        else:
            out.raw_rows = True
    return out


def _aggregation_name(clause: Any) -> tuple[str, Any]:
    """Metabase's column name for an aggregation (its `name` option, else the operator) and its body."""
    if isinstance(clause, list) and clause and clause[0] == "aggregation-options" and len(clause) >= 3:
        options = clause[2] if isinstance(clause[2], dict) else {}
        inner_name, _ = _aggregation_name(clause[1])
        return str(options.get("name") or options.get("display-name") or inner_name), clause[1]
    if isinstance(clause, list) and clause and isinstance(clause[0], str):
        return clause[0], clause
    return "aggregation", clause
