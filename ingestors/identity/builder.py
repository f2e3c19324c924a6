"""The nodes and edges one run asserts, and the datasets and columns a source reads from a warehouse.

A BI tool that reads a table asserts that table's dataset node itself (kind table, the id every source
computes for it, the tool's own spelling as an alias), so its edges always have both ends in the store,
whatever was ingested before. Column names are matched to the spelling the warehouse stores.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.naming import Case, DatasetName, normalise_part, platform, split_name
from graph_schema.store.models import edge_key
from graph_schema.store.records import merge_nodes
from ingestors.common.report import IngestReport
from ingestors.common.workunit import WorkUnit
from ingestors.identity.resolver import Catalogue, platform_of, split_dataset_id


def unique(items: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


class GraphBuilder:
    """Collects nodes by id and edges by key; the same node asserted twice is merged."""

    def __init__(self, report: IngestReport, catalogue: Catalogue) -> None:
        self.report = report
        self.catalogue = catalogue
        self.nodes: dict[str, Node] = {}
        self.edges: dict[str, Edge] = {}
        # dataset id -> {column name as stored: column id}
        self._columns: dict[str, dict[str, str]] = {}
        # dataset id -> {column: type} the source lists without asserting them (e.g. Metabase field metadata)
        self._hints: dict[str, dict[str, str]] = {}

    # ---- generic -------------------------------------------------------------------------------

    def add_node(self, node: Node) -> Node:
        prior = self.nodes.get(node.id)
        merged = node if prior is None else merge_nodes(
            {"0": prior.model_dump(mode="json"), "1": node.model_dump(mode="json")}
        )
        self.nodes[node.id] = merged
        return merged

    def update_props(self, node_id: str, **props: Any) -> None:
        node = self.nodes[node_id]
        clean = {k: v for k, v in props.items() if v is not None}
        self.nodes[node_id] = node.model_copy(update={"props": {**node.props, **clean}})

    def add_edge(self, source: str, target: str, kind: EdgeKind, props: dict[str, Any] | None = None) -> None:
        if source == target:
            return
        key = edge_key(source, kind, target)
        prior = self.edges.get(key)
        clean = {k: v for k, v in (props or {}).items() if v is not None}
        merged = {**clean, **(prior.props if prior else {})}
        self.edges[key] = Edge(source=source, target=target, kind=kind, props=merged)

    # ---- warehouse objects -----------------------------------------------------------------------

    def dataset(self, name: DatasetName, spelled: str | None = None, kind: NodeKind = NodeKind.TABLE,
                **fields: Any) -> str:
        """Assert the dataset `name`; `spelled` is how the source writes it (kept as an alias)."""
        node = Node(
            id=name.id,
            kind=kind,
            name=split_name(name.name)[-1],
            qualified_name=name.name,
            aliases=unique([spelled if spelled and spelled != name.name else None]),
            **fields,
        )
        return self.add_node(node).id

    def column(self, dataset_id: str, name: str, *, exact: bool = False, description: str = "",
               **props: Any) -> str:
        """Assert column `name` of a dataset this run asserts, spelled as the warehouse stores it."""
        stored = self.stored_column_name(dataset_id, name, exact=exact)
        known = self._columns.setdefault(dataset_id, {})
        if stored in known and not props and not description:
            return known[stored]
        dataset = self.nodes[dataset_id]
        node = Node(
            id=column_id(dataset_id, stored),
            kind=NodeKind.COLUMN,
            name=stored,
            qualified_name=f"{dataset.qualified_name}.{stored}",
            description=description,
            props={"dataset": dataset_id, **{k: v for k, v in props.items() if v is not None}},
        )
        self.add_node(node)
        known[stored] = node.id
        self.add_edge(dataset_id, node.id, EdgeKind.HAS_COLUMN)
        return node.id

    def stored_column_name(self, dataset_id: str, name: str, *, exact: bool = False) -> str:
        plat = platform(platform_of(dataset_id))
        written = name if exact else normalise_part(name, plat)
        stored = self.known_columns(dataset_id)
        if written in stored:
            return written
        if plat.case is not Case.PRESERVE or not exact:
            lowered = written.lower()
            match = sorted(c for c in stored if c.lower() == lowered)
            if len(match) == 1:
                return match[0]
        return written

    def hint_columns(self, dataset_id: str, columns: dict[str, str]) -> None:
        """Columns a source lists for a dataset, used to spell and type references, not asserted."""
        self._hints.setdefault(dataset_id, {}).update(columns)

    def known_columns(self, dataset_id: str) -> dict[str, str]:
        """{column: type} the graph, the source's hints or this run know for a dataset."""
        known = {**self._hints.get(dataset_id, {}), **self.catalogue.columns_of(dataset_id)}
        for name in self._columns.get(dataset_id, {}):
            known.setdefault(name, "")
        return known

    # ---- output ----------------------------------------------------------------------------------

    def drop_dangling(self, existing: Callable[[set[str]], set[str]]) -> None:
        """Drop (and report) edges to nodes neither this run nor the store holds: the store would refuse them."""
        missing_ends = {end for e in self.edges.values() for end in (e.source, e.target) if end not in self.nodes}
        present = existing(missing_ends) if missing_ends else set()
        for key, edge in list(self.edges.items()):
            gone = [end for end in (edge.source, edge.target) if end not in self.nodes and end not in present]
            if gone:
                del self.edges[key]
                self.report.warn(edge.target, "sink", f"{edge.kind.value} edge dropped: {gone[0]} is not in the graph")

    def work_units(self) -> list[WorkUnit]:
        """One unit per node with the edges that end at it (every edge lands in exactly one)."""
        units = {node_id: WorkUnit(item=node_id, nodes=[node]) for node_id, node in self.nodes.items()}
        orphans = WorkUnit(item="edges")
        for edge in self.edges.values():
            units.get(edge.target, orphans).edges.append(edge)
        return [*units.values(), *([orphans] if orphans.edges else [])]

    def count(self) -> None:
        self.report.count_output(Counter(n.kind.value for n in self.nodes.values()),
                                 Counter(e.kind.value for e in self.edges.values()))


def dataset_label(dataset_id: str) -> str:
    return split_dataset_id(dataset_id)[1]
