"""The state one parse builds up: nodes and edges by id, relation lookups, columns per dataset, owners."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from graph_schema.ids import column_id
from graph_schema.kinds import DATASET_KIND_PRECEDENCE, DATASET_KINDS, EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.naming import Case, Platform, normalise_part, platform, split_name
from graph_schema.store.models import edge_key
from ingestors.common.report import IngestReport
from ingestors.dbt.artifacts import DbtArtifacts, RunResult
from ingestors.dbt.ids import dialect_for


def owners_from_meta(meta: dict[str, Any]) -> list[str]:
    """`meta.owner` as dbt projects write it: a string, a list, or {name, email}."""
    value = meta.get("owner", meta.get("owners"))
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
        elif isinstance(item, dict):
            label = item.get("email") or item.get("name")
            if isinstance(label, str) and label.strip():
                out.append(label.strip())
    return out


def unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


@dataclass
class ParseContext:
    artifacts: DbtArtifacts
    report: IngestReport
    authority: str | None = None
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    # dbt unique_id -> graph id, for every item that became a node
    graph_id: dict[str, str] = field(default_factory=dict)
    # dataset id -> {folded column name -> column node id}
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    # folded relation name (1, 2 or 3 parts) -> dataset id; None when two datasets share it
    relations: dict[str, str | None] = field(default_factory=dict)
    group_owners: dict[str, tuple[str, ...]] = field(default_factory=dict)
    group_ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        manifest = self.artifacts.manifest
        self.adapter = (manifest.metadata.adapter_type or "duckdb").lower()
        self.platform: Platform = platform(self.adapter)
        self.dialect = dialect_for(self.adapter)
        self.project = manifest.project_name
        results = self.artifacts.run_results
        self.run_results: dict[str, RunResult] = results.by_id() if results else {}

    # ---- names ---------------------------------------------------------------------------------

    def fold(self, identifier: str) -> str:
        return normalise_part(identifier, self.platform)

    def relation_key(self, name: str) -> str:
        return ".".join(self.fold(p) for p in split_name(name))

    def register_relation(self, dataset_id: str, qualified_name: str) -> None:
        parts = split_name(qualified_name)
        for start in range(len(parts)):
            key = ".".join(parts[start:])
            known = self.relations.get(key, dataset_id)
            self.relations[key] = dataset_id if known == dataset_id else None

    def dataset_for_table(self, table: str) -> str | None:
        """The dataset a table name from SQL refers to, matched on its full name first, then shorter."""
        try:
            key = self.relation_key(table)
        except ValueError:
            return None
        return self.relations.get(key)

    # ---- output --------------------------------------------------------------------------------

    def add_node(self, node: Node, unique_id: str | None = None) -> Node:
        prior = self.nodes.get(node.id)
        merged = node if prior is None else merge_dataset_nodes(prior, node)
        self.nodes[node.id] = merged
        if unique_id:
            self.graph_id[unique_id] = node.id
        return merged

    def replace_node(self, node: Node) -> None:
        self.nodes[node.id] = node

    def add_edge(self, source: str, target: str, kind: EdgeKind, props: dict[str, Any] | None = None) -> None:
        if source == target:
            return
        key = edge_key(source, kind, target)
        prior = self.edges.get(key)
        merged = {**(props or {}), **(prior.props if prior else {})}
        self.edges[key] = Edge(source=source, target=target, kind=kind, props=merged)

    def add_column(self, dataset_id: str, column: Node) -> str:
        folded = column.name
        existing = self.columns.setdefault(dataset_id, {})
        if folded in existing:
            prior = self.nodes[existing[folded]]
            self.nodes[prior.id] = merge_columns(prior, column)
            return prior.id
        existing[folded] = column.id
        self.nodes[column.id] = column
        self.add_edge(dataset_id, column.id, EdgeKind.HAS_COLUMN)
        return column.id

    def ensure_column(self, dataset_id: str, name: str, origin: str, *, exact: bool = False) -> str:
        """The id of a column of a dataset of this run, made if only lineage or a test knows of it.

        `exact` names are spelled as stored (catalog, lineage engine output); others are folded first.
        """
        folded = name if exact else self.fold(name)
        known = self.find_column(dataset_id, folded)
        if known:
            return known
        dataset = self.nodes[dataset_id]
        node = Node(
            id=column_id(dataset_id, folded),
            kind=NodeKind.COLUMN,
            name=folded,
            qualified_name=f"{dataset.qualified_name}.{folded}",
            props={"dataset": dataset_id, "inferred_from": origin},
        )
        return self.add_column(dataset_id, node)

    def find_column(self, dataset_id: str, name: str) -> str | None:
        columns = self.columns.get(dataset_id, {})
        found = columns.get(name)
        if found is None and self.platform.case is not Case.PRESERVE:
            # case-insensitive platforms: `CustomerId` as stored is `customerid` as written
            lowered = name.lower()
            found = next((cid for col, cid in columns.items() if col.lower() == lowered), None)
        return found

    @contextmanager
    def item(self, unique_id: str) -> Iterator[None]:
        """One dbt item's work: a bad item is reported and skipped, the others go on."""
        try:
            yield
        except (ValueError, TypeError, LookupError) as exc:
            self.report.fail(unique_id, "parse", f"skipped: {' '.join(str(exc).split())[:300]}")

    def last_run(self, unique_id: str) -> dict[str, Any] | None:
        result = self.run_results.get(unique_id)
        if result is None:
            return None
        completed = [t.completed_at for t in result.timing if t.completed_at]
        started = [t.started_at for t in result.timing if t.started_at]
        out: dict[str, Any] = {"status": result.status}
        if result.execution_time is not None:
            out["execution_time"] = round(result.execution_time, 3)
        if started:
            out["started_at"] = min(started)
        if completed:
            out["completed_at"] = max(completed)
        if result.failures is not None:
            out["failures"] = result.failures
        if result.message:
            out["message"] = result.message[:500]
        return out


def merge_dataset_nodes(first: Node, second: Node) -> Node:
    """Two dbt items naming one relation (a seed and a source on it): one node, the more specific kind."""
    kinds = [first.kind, second.kind]
    if all(k in DATASET_KINDS for k in kinds):
        lead, other = sorted((first, second), key=lambda n: DATASET_KIND_PRECEDENCE.index(n.kind))
    else:
        lead, other = first, second
    ids = unique([*_ids(lead), *_ids(other)])
    if other.kind == lead.kind:
        props = {**other.props, **lead.props, "dbt_unique_ids": list(ids)}
    else:
        # the other item's own view of the relation (e.g. the source's loader and freshness) kept apart
        props = {**lead.props, "dbt_unique_ids": list(ids),
                 f"as_{other.kind.value}": {k: v for k, v in other.props.items() if k not in _SHARED_PROPS}}
    return lead.model_copy(
        update={
            "description": lead.description or other.description,
            "owners": unique([*lead.owners, *other.owners]),
            "tags": unique([*lead.tags, *other.tags]),
            "aliases": unique([*lead.aliases, other.name if other.name != lead.name else "", *other.aliases]),
            "props": props,
        }
    )


_SHARED_PROPS = frozenset({"dbt_unique_ids", "lineage", "lineage_key", "platform", "database", "schema",
                           "identifier", "relation_name", "package", "warehouse_type"})


def _ids(node: Node) -> list[str]:
    value = node.props.get("dbt_unique_ids")
    return [str(v) for v in value] if isinstance(value, list) else []


def merge_columns(first: Node, second: Node) -> Node:
    props = {**second.props, **first.props}
    return first.model_copy(
        update={
            "description": first.description or second.description,
            "tags": unique([*first.tags, *second.tags]),
            "props": props,
        }
    )
