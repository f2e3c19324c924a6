"""trace_lineage: where an asset's or a column's data comes from and where it goes.

Dataset grain follows feeds, has_field and (part to container) contains: warehouse -> dbt -> semantic layer
-> metrics -> BI. Column grain follows column_feeds and feeds: column -> column -> measure/dimension/BI field
-> metric. Each direction is one breadth-first closure with one shortest path per node, so every edge of the
answer is the edge that reached its downstream (or upstream) end.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.store import Direction, GraphStore
from server.lineage import coverage as cov
from server.lineage.columns import dataset_id_of, display_name
from server.lineage.mermaid import flowchart
from server.lineage.walk import DEFAULT_LIMIT, Closure, closure
from server.tools.schemas.lineage import (
    LineageCoverage,
    LineageEdge,
    LineageNode,
    RowShaping,
    TraceLineageOutput,
)

DATASET_GRAIN_KINDS: tuple[EdgeKind, ...] = (EdgeKind.FEEDS, EdgeKind.HAS_FIELD, EdgeKind.CONTAINS)
COLUMN_GRAIN_KINDS: tuple[EdgeKind, ...] = (EdgeKind.COLUMN_FEEDS, EdgeKind.FEEDS, EdgeKind.CONTAINS)
# Followed from the part to its container, against the stored direction.
AGAINST_KINDS: frozenset[EdgeKind] = frozenset({EdgeKind.CONTAINS})
_SHAPING_ROLES = ("filter", "join", "group_by")
# Answer lists are validated in one call each: per-item model calls cost half as much again on answers of
# hundreds of items.
_LINEAGE_NODES = TypeAdapter(list[LineageNode])
_LINEAGE_EDGES = TypeAdapter(list[LineageEdge])

Visible = Callable[[Node], bool]


def everything(_: Node) -> bool:
    return True


@dataclass
class TraceRequest:
    root: Node  # an asset, or a column for a column trace
    direction: Direction = Direction.UPSTREAM
    depth: int = 5
    edge_kinds: Sequence[EdgeKind] | None = None
    include_mermaid: bool = False
    limit: int = DEFAULT_LIMIT
    visible: Visible = field(default=everything)


def split_kinds(kinds: Collection[EdgeKind]) -> tuple[list[EdgeKind], list[EdgeKind]]:
    """(followed with the walk, followed against it)."""
    forward = [k for k in kinds if k not in AGAINST_KINDS]
    against = [k for k in kinds if k in AGAINST_KINDS]
    return forward, against


def trace(store: GraphStore, request: TraceRequest) -> TraceLineageOutput:
    """The lineage of `request.root`, read from one state of the graph."""
    return store.read_consistently(lambda: _trace(store, request))


def _trace(store: GraphStore, request: TraceRequest) -> TraceLineageOutput:
    root = request.root
    column_grain = root.kind is NodeKind.COLUMN
    kinds = request.edge_kinds or (COLUMN_GRAIN_KINDS if column_grain else DATASET_GRAIN_KINDS)
    forward, against = split_kinds(dict.fromkeys(kinds))
    directions = (
        [Direction.UPSTREAM, Direction.DOWNSTREAM] if request.direction is Direction.BOTH else [request.direction]
    )
    walks: dict[Direction, Closure] = {
        d: closure(store, [root.id], d, forward, against, request.depth, request.limit, {root.id: root.kind})
        for d in directions
    }
    reached = {hop.id for walk in walks.values() for hop in walk.hops.values()}
    nodes = store.get_many(reached)
    nodes[root.id] = root
    owners = {d for n in nodes.values() if (d := dataset_id_of(n)) is not None and d not in nodes}
    nodes.update(store.get_many(owners))

    answer = _Answer(root, nodes, request.visible, column_grain)
    for direction, walk in walks.items():
        sign = -1 if direction is Direction.UPSTREAM else 1
        for hop in walk.ordered():
            answer.add(hop.id, sign * hop.distance, hop.via)
    shaping = _row_shaping(store, answer, walks) if column_grain else []
    out = TraceLineageOutput(
        root=root.id,
        nodes=answer.lineage_nodes(),
        edges=answer.lineage_edges(),
        grain="column" if column_grain else "dataset",
        direction=request.direction.value,
        depth=request.depth,
        coverage=_coverage(answer, request.direction),
        row_shaping=shaping,
        notes=_notes(answer, walks, request),
    )
    truncated = [w for w in walks.values() if w.truncated or w.depth_capped]
    if truncated:
        out.truncated = True
        out.truncation_note = (
            f"stopped at {request.limit} nodes or at the deepest walk the store allows; narrow depth or edge kinds"
        )
    if request.include_mermaid:
        labels = {i: display_name(n) for i, n in nodes.items()}
        out.mermaid = flowchart(root.id, out.nodes, out.edges, labels)
    return out


class _Answer:
    """Nodes and edges kept for the answer: visible ones, and at dataset grain no columns."""

    def __init__(self, root: Node, nodes: dict[str, Node], visible: Visible, column_grain: bool) -> None:
        self.root = root
        self.nodes = nodes
        self.visible = visible
        self.column_grain = column_grain
        self.distance: dict[str, int] = {root.id: 0}
        self.edges: list[dict[str, Any]] = []  # LineageEdge fields, validated together at the end
        self.hidden = 0
        self._shown: dict[str, bool] = {}  # each node is asked about as a node and as the end of its edges

    def shown(self, node_id: str) -> bool:
        known = self._shown.get(node_id)
        if known is None:
            known = self._shown[node_id] = self._decide(node_id)
        return known

    def _decide(self, node_id: str) -> bool:
        node = self.nodes.get(node_id)
        if node is None or not self.visible(node):
            return False
        owner = dataset_id_of(node)
        return owner is None or owner not in self.nodes or self.visible(self.nodes[owner])

    def add(self, node_id: str, distance: int, via: Edge) -> None:
        node = self.nodes.get(node_id)
        # At dataset grain a column is only ever a leaf (a measure's input): it is not part of the answer.
        if node is None or (node.kind is NodeKind.COLUMN and not self.column_grain):
            return
        if not self.shown(node_id):
            self.hidden += 1
            return
        known = self.distance.get(node_id)
        if known is None or abs(distance) < abs(known):
            self.distance[node_id] = distance
        if self.shown(via.source) and self.shown(via.target):
            self.edges.append(edge_fields(via))

    def lineage_nodes(self) -> list[LineageNode]:
        ordered = sorted(self.distance.items(), key=lambda item: (abs(item[1]), item[1], item[0]))
        nodes = self.nodes
        return _LINEAGE_NODES.validate_python([
            {"id": i, "kind": nodes[i].kind, "name": nodes[i].name, "qualified_name": nodes[i].qualified_name,
             "distance": distance}
            for i, distance in ordered
        ])

    def lineage_edges(self) -> list[LineageEdge]:
        return _LINEAGE_EDGES.validate_python(self.edges)


def edge_fields(edge: Edge) -> dict[str, Any]:
    """The fields of the LineageEdge for `edge`."""
    props = edge.props
    if not props:
        return {"source": edge.source, "target": edge.target, "kind": edge.kind}
    transformation = props.get("transformation") or props.get("role")
    confidence = props.get("confidence")
    expression = props.get("expression")
    return {
        "source": edge.source,
        "target": edge.target,
        "kind": edge.kind,
        "transformation": str(transformation) if transformation else None,
        "confidence": float(confidence) if isinstance(confidence, int | float) and not isinstance(confidence, bool) else None,
        "expression": str(expression) if isinstance(expression, str) else None,
    }


def _row_shaping(store: GraphStore, answer: _Answer, walks: dict[Direction, Closure]) -> list[RowShaping]:
    """Columns that filter, join or group the datasets a column trace passes through."""
    out: dict[tuple[str, str], RowShaping] = {}
    root_dataset = dataset_id_of(answer.root)
    if Direction.UPSTREAM in walks:
        # each dataset upstream, at the distance of its nearest traced column
        datasets: dict[str, int] = {root_dataset: 0} if root_dataset else {}
        for hop in walks[Direction.UPSTREAM].hops.values():
            owner = dataset_id_of(answer.nodes[hop.id]) if hop.id in answer.nodes else None
            if owner is not None and answer.shown(hop.id):
                datasets[owner] = min(datasets.get(owner, hop.distance), hop.distance)
        for dataset, distance in sorted(datasets.items()):
            for found in store.neighbours(dataset, Direction.UPSTREAM, [EdgeKind.COLUMN_SHAPES]):
                _offer_shaping(out, answer, found.node, found.edge, -(distance + 1))
    if Direction.DOWNSTREAM in walks:
        columns = {answer.root.id: 0}
        for hop in walks[Direction.DOWNSTREAM].hops.values():
            if hop.kind is NodeKind.COLUMN and answer.shown(hop.id):
                columns[hop.id] = hop.distance
        for column, distance in sorted(columns.items()):
            for found in store.neighbours(column, Direction.DOWNSTREAM, [EdgeKind.COLUMN_SHAPES]):
                _offer_shaping(out, answer, found.node, found.edge, distance + 1)
    return sorted(out.values(), key=lambda s: (abs(s.distance), s.dataset, s.column))


def _offer_shaping(out: dict[tuple[str, str], RowShaping], answer: _Answer, other: Node, edge: Edge, distance: int) -> None:
    role = edge.props.get("role")
    if role not in _SHAPING_ROLES or not answer.visible(other):
        return
    key = (edge.source, edge.target)
    known = out.get(key)
    if known is None or abs(distance) < abs(known.distance):
        out[key] = RowShaping(column=edge.source, dataset=edge.target, role=role, distance=distance)


def _coverage(answer: _Answer, direction: Direction) -> LineageCoverage:
    on_the_way: dict[str, Node] = {}
    for node_id in answer.distance:
        node = answer.nodes[node_id]
        owner = dataset_id_of(node)
        target = answer.nodes.get(owner) if owner else node
        if target is not None and answer.visible(target):
            on_the_way[target.id] = target
    status, incomplete = cov.summarise(on_the_way.values())
    root_dataset = answer.nodes.get(dataset_id_of(answer.root) or answer.root.id)
    root_coverage = cov.dataset_coverage(root_dataset) if root_dataset is not None else None
    looks_upstream = direction in (Direction.UPSTREAM, Direction.BOTH)
    if answer.column_grain and looks_upstream and root_coverage is not None and root_coverage.status == "unknown":
        status = "unknown"
    return LineageCoverage(status=status, incomplete=incomplete)


def _notes(answer: _Answer, walks: dict[Direction, Closure], request: TraceRequest) -> list[str]:
    notes: list[str] = []
    name = display_name(answer.root)
    for direction, walk in walks.items():
        sign = -1 if direction is Direction.UPSTREAM else 1
        if not any(d * sign > 0 for d in answer.distance.values()):
            notes.append(f"no path: nothing {direction.value} of {name} within {request.depth} hops")
        if walk.depth_capped:
            notes.append(f"{direction.value} walk capped at the store's maximum depth")
    if answer.hidden:
        notes.append(f"{answer.hidden} assets on the way are outside your access scope and left out")
    return notes
