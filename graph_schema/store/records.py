"""How nodes and edges are stored: one merged view plus what each source asserted.

Several sources may describe the same node (dbt and the warehouse catalog both see `main.orders`).
Each source's assertion is kept apart, so that when one source stops asserting a node, the node keeps
what the others said and disappears only when no source asserts it any more.
"""

import json
from dataclasses import dataclass

from pydantic import TypeAdapter

from graph_schema.kinds import DATASET_KIND_PRECEDENCE, DATASET_KINDS, EdgeKind, NodeKind
from graph_schema.models import READ_BACK, Edge, Node, canonical_json


# Decodes many nodes in one call: answers read hundreds at a time, and a call per node costs a third more.
_NODE_LIST = TypeAdapter(list[Node])
_EDGE = Edge.__pydantic_validator__


def read_node(data: str) -> Node:
    """A node from its merged JSON, as this store wrote it."""
    return Node.model_validate_json(data, context=READ_BACK)


def read_edge(source: str, target: str, kind: EdgeKind | str, props: dict) -> Edge:
    """An edge from what this store wrote of it."""
    # The model's own validator, called directly: traversals read hundreds of edges per answer, and
    # `model_validate` adds a third to each for options this call does not use.
    return _EDGE.validate_python({"source": source, "target": target, "kind": kind, "props": props}, context=READ_BACK)


def decode_nodes(data: list[str]) -> list[Node]:
    """Nodes from their merged JSON (as this store wrote it), in order."""
    return _NODE_LIST.validate_json("[" + ",".join(data) + "]", context=READ_BACK) if data else []


@dataclass(frozen=True)
class StoredNode:
    id: str
    kind: str
    name: str
    qualified_name: str
    lookup: str  # "|name|qualified_name|alias|..." lower-cased, for lookup by name
    sources: str  # "|source1|source2|", for "what did this source assert"
    data: str  # merged Node as JSON
    assertions: str  # {source: Node as JSON-able dict}

    def node(self) -> Node:
        return read_node(self.data)

    def assertion_map(self) -> dict[str, dict]:
        return json.loads(self.assertions)


@dataclass(frozen=True)
class StoredEdge:
    source: str
    target: str
    kind: str
    data: str  # merged props as JSON
    sources: str
    assertions: str  # {source: props}

    @property
    def key(self) -> str:
        return f"{self.source}|{self.kind}|{self.target}"

    def edge(self) -> Edge:
        return read_edge(self.source, self.target, self.kind, json.loads(self.data))

    def assertion_map(self) -> dict[str, dict]:
        return json.loads(self.assertions)


def _union(*groups: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item, None)
    return tuple(seen)


def _merged_kind(kinds: list[NodeKind]) -> NodeKind:
    if all(k in DATASET_KINDS for k in kinds):
        return min(kinds, key=DATASET_KIND_PRECEDENCE.index)
    return kinds[0]


def merge_nodes(assertions: dict[str, dict]) -> Node:
    """The node as the union of its sources' assertions, sources taken in sorted order.

    Later sources fill what earlier ones left empty; props merge key by key with the first source
    that set a key keeping it, so a re-run of one source never flips values another source owns.
    """
    nodes = [Node.model_validate(assertions[s]) for s in sorted(assertions)]
    first = nodes[0]
    props: dict = {}
    for node in nodes:
        for key, value in node.props.items():
            props.setdefault(key, value)
    return Node(
        id=first.id,
        kind=_merged_kind([n.kind for n in nodes]),
        name=first.name,
        qualified_name=next((n.qualified_name for n in nodes if n.qualified_name), ""),
        description=next((n.description for n in nodes if n.description), ""),
        owners=_union(*(n.owners for n in nodes)),
        tags=_union(*(n.tags for n in nodes)),
        aliases=_union(*(n.aliases for n in nodes)),
        props=props,
    )


def merge_edge_props(assertions: dict[str, dict]) -> dict:
    props: dict = {}
    for source in sorted(assertions):
        for key, value in assertions[source].items():
            props.setdefault(key, value)
    return props


def _lookup_terms(node: Node) -> str:
    terms = {node.name.lower(), *(a.lower() for a in node.aliases)}
    if node.qualified_name:
        terms.add(node.qualified_name.lower())
    return "|" + "|".join(sorted(terms)) + "|"


def stored_node(assertions: dict[str, dict], sole: Node | None = None) -> StoredNode:
    """The stored form of a node; `sole` is the node itself when only one source asserts it (no merge needed)."""
    merged = sole if sole is not None and len(assertions) == 1 else merge_nodes(assertions)
    return StoredNode(
        id=merged.id,
        kind=merged.kind.value,
        name=merged.name,
        qualified_name=merged.qualified_name,
        lookup=_lookup_terms(merged),
        sources="|" + "|".join(sorted(assertions)) + "|",
        data=merged.model_dump_json(),
        assertions=canonical_json(assertions),
    )


def stored_edge(source: str, target: str, kind: str, assertions: dict[str, dict]) -> StoredEdge:
    sources = sorted(assertions)
    if len(sources) == 1 and not assertions[sources[0]]:
        # The common case (one source, no props) without two JSON encodings per edge.
        data, encoded = "{}", canonical_json(assertions)
    else:
        data, encoded = canonical_json(merge_edge_props(assertions)), canonical_json(assertions)
    return StoredEdge(
        source=source,
        target=target,
        kind=kind,
        data=data,
        sources="|" + "|".join(sources) + "|",
        assertions=encoded,
    )
