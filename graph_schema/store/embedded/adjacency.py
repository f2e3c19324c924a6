"""Compressed adjacency of one immutable snapshot, for breadth-first traversal in memory.

A snapshot never changes once written, so its edges can be indexed once per process: node ids become
integers, and each node's outgoing and incoming edges sit in one contiguous slice (CSR). A BFS over that
touches only the edges it follows; measured against LadybugDB's `* SHORTEST` on the benchmark estate it
answers the same closures several times faster (see docs/decisions/0001-graph-store.md).
"""

import json
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge
from graph_schema.store.models import Direction, Reached
from graph_schema.store.records import read_edge

_KIND_CODES = {kind.value: code for code, kind in enumerate(EdgeKind)}
_KINDS_BY_CODE = list(EdgeKind)
_NODE_KIND_CODES = {kind.value: code for code, kind in enumerate(NodeKind)}
_NODE_KINDS_BY_CODE = list(NodeKind)


def _allowed(kinds: list[str] | None) -> np.ndarray | None:
    """A mask over edge kind codes; None for every kind."""
    if kinds is None:
        return None
    allowed = np.zeros(len(_KINDS_BY_CODE), dtype=bool)
    allowed[[_KIND_CODES[k] for k in kinds]] = True
    return allowed


class _Csr:
    """Edges grouped by one endpoint: the edges of node i are order[offsets[i]:offsets[i + 1]]."""

    def __init__(self, by: np.ndarray, n_nodes: int) -> None:
        self.order = np.argsort(by, kind="stable").astype(np.int64)
        counts = np.bincount(by, minlength=n_nodes)
        self.offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def edges_of(self, nodes: np.ndarray) -> np.ndarray:
        """The edges of every node in `nodes`, node after node, each node's in stored order."""
        starts = self.offsets[nodes]
        counts = self.offsets[nodes + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        # position k of the result is edge number (k - first position of its node) of that node's slice
        firsts = np.cumsum(counts) - counts
        return self.order[np.repeat(starts - firsts, counts) + np.arange(total)]


class Adjacency:
    def __init__(self, nodes: pa.Table, edges: pa.Table, index: dict[str, int]) -> None:
        """`index` maps each node id to its row in `nodes`."""
        # Tuples of strings and arrays of codes, not lists: the garbage collector stops looking into a tuple
        # that holds only strings, where every full collection would walk lists of every node in the graph.
        self.ids: tuple[str, ...] = tuple(nodes["id"].to_pylist())
        self.index = index
        self.kind_codes = np.array([_NODE_KIND_CODES[k] for k in nodes["kind"].to_pylist()], dtype=np.int16)
        self.names: tuple[str, ...] = tuple(nodes["name"].to_pylist())
        node_ids = nodes["id"]
        self.src = pc.index_in(edges["from"], value_set=node_ids).to_numpy(zero_copy_only=False).astype(np.int64)
        self.dst = pc.index_in(edges["to"], value_set=node_ids).to_numpy(zero_copy_only=False).astype(np.int64)
        self.edge_kind = np.array([_KIND_CODES[k] for k in edges["kind"].to_pylist()], dtype=np.int16)
        self.edge_data = edges["data"]
        # Most lineage edges carry no props: those skip reading and decoding their JSON.
        self.edge_has_props = pc.not_equal(edges["data"], "{}").to_numpy(zero_copy_only=False).astype(bool)
        self.out = _Csr(self.src, len(self.ids))
        self.inc = _Csr(self.dst, len(self.ids))

    def closure(
        self, starts: tuple[str, ...], direction: Direction, kinds: list[str] | None, max_depth: int
    ) -> Iterator[Reached]:
        """BFS from every start at once, a level at a time in arrays.

        Each reached node keeps the first edge that reaches it in the order a node-by-node BFS would
        meet them (frontier in discovery order, each node's edges in stored order), so its path is the
        same first shortest path.
        """
        allowed = _allowed(kinds)
        downstream = direction is Direction.DOWNSTREAM
        csr, near, far = (self.out, self.src, self.dst) if downstream else (self.inc, self.dst, self.src)
        first_seen = list(dict.fromkeys(self.index[s] for s in starts if s in self.index))
        frontier = np.array(first_seen, dtype=np.int64)
        seen = np.zeros(len(self.ids), dtype=bool)
        seen[frontier] = True
        ids = self.ids
        paths: dict[int, tuple[str, ...]] = {node: (ids[node],) for node in first_seen}
        found: list[int] = []  # reached nodes, in discovery order
        via: list[int] = []  # the edge that reached each
        for _ in range(max_depth):
            edges = self._of_kinds(csr.edges_of(frontier), allowed)
            others = far[edges]
            fresh = ~seen[others]
            edges, others = edges[fresh], others[fresh]
            if not len(edges):
                break
            _, first = np.unique(others, return_index=True)
            first.sort()
            edges, others = edges[first], others[first]
            seen[others] = True
            level = others.tolist()
            for node, parent in zip(level, near[edges].tolist(), strict=True):
                paths[node] = paths[parent] + (ids[node],)
            found += level
            via += edges.tolist()
            frontier = others
        if not found:
            return
        names = self.names
        node_kinds = [_NODE_KINDS_BY_CODE[k] for k in self.kind_codes[found].tolist()]
        edge_kinds = [_KINDS_BY_CODE[k] for k in self.edge_kind[via].tolist()]
        with_props = self.edge_has_props[via].tolist()
        for node, edge, node_kind, edge_kind, has_props in zip(found, via, node_kinds, edge_kinds, with_props, strict=True):
            path = paths[node]
            props = self._props(edge) if has_props else {}  # most lineage edges carry none
            if downstream:
                stored = read_edge(path[-2], path[-1], edge_kind, props)
            else:
                stored = read_edge(path[-1], path[-2], edge_kind, props)
            yield Reached(path[-1], node_kind, names[node], len(path) - 1, path, stored)

    def neighbours_of(
        self, node_ids: list[str], direction: Direction, kinds: list[str] | None
    ) -> dict[str, list[tuple[Edge, int]]]:
        """Each edge of each node that goes `direction` (BOTH: downstream ones first), in stored order, with
        the row of the node at its other end; unknown ids get none."""
        out: dict[str, list[tuple[Edge, int]]] = {i: [] for i in node_ids}
        index = self.index
        asked = np.array([index.get(i, -1) for i in out], dtype=np.int64)
        asked = asked[asked >= 0]
        if not len(asked):
            return out
        allowed = _allowed(kinds)
        ids = self.ids
        for downstream in (True, False):
            if direction is (Direction.UPSTREAM if downstream else Direction.DOWNSTREAM):
                continue
            csr, near, far = (self.out, self.src, self.dst) if downstream else (self.inc, self.dst, self.src)
            edges = self._of_kinds(csr.edges_of(asked), allowed)
            codes = self.edge_kind[edges].tolist()
            for edge, at, other, code in zip(edges.tolist(), near[edges].tolist(), far[edges].tolist(), codes,
                                             strict=True):
                src, dst = (ids[at], ids[other]) if downstream else (ids[other], ids[at])
                out[ids[at]].append((read_edge(src, dst, _KINDS_BY_CODE[code], self._props(edge)), other))
        return out

    def _of_kinds(self, edges: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
        return edges if allowed is None else edges[allowed[self.edge_kind[edges]]]

    def _props(self, edge: int) -> dict:
        return json.loads(self.edge_data[edge].as_py()) if self.edge_has_props[edge] else {}
