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

_KIND_CODES = {kind.value: code for code, kind in enumerate(EdgeKind)}
_KINDS_BY_CODE = list(EdgeKind)


class _Csr:
    """Edges grouped by one endpoint: the edges of node i are order[offsets[i]:offsets[i + 1]]."""

    def __init__(self, by: np.ndarray, n_nodes: int) -> None:
        self.order = np.argsort(by, kind="stable").astype(np.int64)
        counts = np.bincount(by, minlength=n_nodes)
        self.offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def edges_of(self, node: int) -> np.ndarray:
        return self.order[self.offsets[node] : self.offsets[node + 1]]


class Adjacency:
    def __init__(self, nodes: pa.Table, edges: pa.Table) -> None:
        self.ids: list[str] = nodes["id"].to_pylist()
        self.index = {node_id: i for i, node_id in enumerate(self.ids)}
        self.kinds: list[str] = nodes["kind"].to_pylist()
        self.names: list[str] = nodes["name"].to_pylist()
        node_ids = nodes["id"]
        self.src = pc.index_in(edges["from"], value_set=node_ids).to_numpy(zero_copy_only=False).astype(np.int64)
        self.dst = pc.index_in(edges["to"], value_set=node_ids).to_numpy(zero_copy_only=False).astype(np.int64)
        self.edge_kind = np.array([_KIND_CODES[k] for k in edges["kind"].to_pylist()], dtype=np.int16)
        self.edge_data = edges["data"]
        self.out = _Csr(self.src, len(self.ids))
        self.inc = _Csr(self.dst, len(self.ids))

    def closure(
        self, starts: tuple[str, ...], direction: Direction, kinds: list[str] | None, max_depth: int
    ) -> Iterator[Reached]:
        """BFS from every start at once; each reached node gets the first shortest path found."""
        allowed = None
        if kinds is not None:
            allowed = np.zeros(len(_KINDS_BY_CODE), dtype=bool)
            allowed[[_KIND_CODES[k] for k in kinds]] = True
        downstream = direction is Direction.DOWNSTREAM
        csr, far = (self.out, self.dst) if downstream else (self.inc, self.src)
        parent: dict[int, tuple[int, int]] = {}  # node -> (previous node, edge) on its path
        frontier = [self.index[s] for s in starts if s in self.index]
        seen = set(frontier)
        for _ in range(max_depth):
            next_frontier: list[int] = []
            for node in frontier:
                edges = csr.edges_of(node)
                if allowed is not None and len(edges):
                    edges = edges[allowed[self.edge_kind[edges]]]
                for edge, other in zip(edges.tolist(), far[edges].tolist(), strict=True):
                    if other not in seen:
                        seen.add(other)
                        parent[other] = (node, edge)
                        next_frontier.append(other)
            if not next_frontier:
                break
            frontier = next_frontier
        for node in parent:
            yield self._reached(node, parent, downstream)

    def _reached(self, node: int, parent: dict[int, tuple[int, int]], downstream: bool) -> Reached:
        path = [node]
        while path[-1] in parent:
            path.append(parent[path[-1]][0])
        path.reverse()
        edge = parent[node][1]
        src, dst = (self.ids[path[-2]], self.ids[node]) if downstream else (self.ids[node], self.ids[path[-2]])
        # Built from the snapshot's own validated rows: no re-validation on the read path.
        return Reached(
            id=self.ids[node],
            kind=NodeKind(self.kinds[node]),
            name=self.names[node],
            distance=len(path) - 1,
            path=tuple(self.ids[i] for i in path),
            via=Edge.model_construct(
                source=src,
                target=dst,
                kind=_KINDS_BY_CODE[int(self.edge_kind[edge])],
                props=json.loads(self.edge_data[edge].as_py()),
            ),
        )
