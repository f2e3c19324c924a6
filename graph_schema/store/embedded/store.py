"""The embedded GraphStore: LadybugDB snapshots, one per run, built by bulk load.

LadybugDB loads Parquet in bulk fast but merges row by row slowly, and lets only one process open a
database read-write. So a run never writes into the database readers use: it writes the whole new state
as Parquet into a fresh snapshot folder, bulk-loads a new database there, and then swaps the pointer.
Readers open snapshots read-only and follow the pointer on their next call. Lookups go to LadybugDB;
traversals run over an in-memory adjacency of the (immutable) snapshot, which measured faster.
"""

import json
import threading
from dataclasses import astuple, fields
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph_schema.errors import StoreError, StoreUnavailableError
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.migrations import MIGRATIONS, SCHEMA_VERSION
from graph_schema.models import Edge, Node
from graph_schema.store.base import ApplyPlan, GraphStore, T
from graph_schema.store.embedded.adjacency import Adjacency
from graph_schema.store.embedded.layout import Layout, Pointer
from graph_schema.store.models import ChangeRecord, Direction, Neighbour, Reached, RunInfo, StoreStats
from graph_schema.store.records import StoredEdge, StoredNode, decode_nodes, read_edge, read_node

# The columns are StoredNode's fields, in order.
NODE_COLUMNS = tuple(f.name for f in fields(StoredNode))
EDGE_COLUMNS = ("from", "to", "kind", "data", "sources", "assertions")
NODE_SCHEMA = pa.schema([(c, pa.string()) for c in NODE_COLUMNS])
EDGE_SCHEMA = pa.schema([(c, pa.string()) for c in EDGE_COLUMNS])
# Below this many ids, on a snapshot not yet indexed in memory, a point lookup in the database beats
# reading and indexing the Parquet state.
POINT_LOOKUP_MAX = 512


def _node_table(records: list[StoredNode]) -> pa.Table:
    columns = list(zip(*(astuple(r) for r in records), strict=True)) or [[] for _ in NODE_COLUMNS]
    return pa.table(dict(zip(NODE_COLUMNS, columns, strict=True)), schema=NODE_SCHEMA)


def _edge_table(records: list[StoredEdge]) -> pa.Table:
    return pa.table(
        {
            "from": [r.source for r in records],
            "to": [r.target for r in records],
            "kind": [r.kind for r in records],
            "data": [r.data for r in records],
            "sources": [r.sources for r in records],
            "assertions": [r.assertions for r in records],
        },
        schema=EDGE_SCHEMA,
    )


def _edge_keys(table: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(table["from"], table["kind"], table["to"], "|")


def _row_edge(row: dict[str, Any]) -> StoredEdge:
    return StoredEdge(
        source=row["from"], target=row["to"], kind=row["kind"], data=row["data"],
        sources=row["sources"], assertions=row["assertions"],
    )


class _Snapshot:
    """An open, read-only snapshot: its database connection and, lazily, its Parquet state."""

    def __init__(self, path: Path, pointer: Pointer) -> None:
        self.path = path
        self.pointer = pointer
        try:
            self.db = ladybug.Database(str(path / "db"), read_only=True)
            self.conn = ladybug.Connection(self.db)
        except RuntimeError as exc:
            raise StoreUnavailableError(f"cannot open graph snapshot {path}: {exc}") from exc
        self._nodes: pa.Table | None = None
        self._edges: pa.Table | None = None
        self._edge_keys: pa.Array | None = None
        self._adjacency: Adjacency | None = None
        self._node_index: dict[str, int] | None = None
        # Readers pinned to this snapshot (see read_consistently); a retired snapshot closes after the last.
        self.readers = 0
        self.retired = False

    def nodes_table(self) -> pa.Table:
        if self._nodes is None:
            # One chunk per column: `take` on a chunked column costs a pass over every chunk.
            self._nodes = pq.read_table(self.path / "nodes.parquet", schema=NODE_SCHEMA).combine_chunks()
        return self._nodes

    def node_index(self) -> dict[str, int]:
        """Node id -> its row in the nodes table, built on first use."""
        if self._node_index is None:
            self._node_index = {node_id: i for i, node_id in enumerate(self.nodes_table()["id"].to_pylist())}
        return self._node_index

    @property
    def indexed(self) -> bool:
        return self._node_index is not None

    def node_rows(self, node_ids: set[str], columns: tuple[str, ...] = NODE_COLUMNS) -> pa.Table:
        """The rows of the given nodes (unknown ids left out), with the given columns."""
        index = self.node_index()
        rows = sorted(index[i] for i in node_ids if i in index)
        return self.nodes_table().select(list(columns)).take(pa.array(rows, type=pa.int64()))

    def edges_table(self) -> pa.Table:
        if self._edges is None:
            self._edges = pq.read_table(self.path / "edges.parquet", schema=EDGE_SCHEMA).combine_chunks()
        return self._edges

    def edge_keys(self) -> pa.Array:
        if self._edge_keys is None:
            self._edge_keys = _edge_keys(self.edges_table())
        return self._edge_keys

    @property
    def adjacency_built(self) -> bool:
        return self._adjacency is not None

    def adjacency(self) -> Adjacency:
        """The snapshot's edges indexed for BFS, built on first use (the snapshot never changes)."""
        if self._adjacency is None:
            self._adjacency = Adjacency(self.nodes_table(), self.edges_table(), self.node_index())
        return self._adjacency

    def retire(self) -> None:
        """No longer the current snapshot: closed now, or when its last pinned reader is done."""
        self.retired = True
        if self.readers == 0:
            self.close()

    def close(self) -> None:
        self.conn.close()
        self.db.close()


class EmbeddedStore(GraphStore):
    backend = "embedded"

    def __init__(self, root: Path, *, snapshots_kept: int = 20, read_only: bool = False) -> None:
        self.layout = Layout(Path(root))
        self.snapshots_kept = max(2, snapshots_kept)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        self._pins = threading.local()  # .snapshot: the snapshot this thread's consistent read is pinned to
        self._stamp: tuple[int, int] | None = None

    # ---- snapshot following ------------------------------------------------------------------

    def _current(self) -> _Snapshot | None:
        """The snapshot the pointer names now, reopened when another process committed a run."""
        pinned: _Snapshot | None = getattr(self._pins, "snapshot", None)
        if pinned is not None:
            return pinned
        stamp = self.layout.pointer_stamp()
        if stamp is not None and stamp == self._stamp and self._snapshot is not None:
            return self._snapshot
        pointer = self.layout.read_pointer()
        if pointer is None:
            return None
        if self._snapshot is None or self._snapshot.pointer.snapshot != pointer.snapshot:
            fresh = _Snapshot(self.layout.snapshot_dir(pointer.snapshot), pointer)
            if self._snapshot is not None:
                self._snapshot.retire()
            self._snapshot = fresh
        else:
            self._snapshot.pointer = pointer
        self._stamp = stamp
        return self._snapshot

    def _query(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        with self._lock:
            for attempt in (1, 2):
                snap = self._current()
                if snap is None:
                    return []
                try:
                    result = snap.conn.execute(cypher, params or {})
                    rows = []
                    while result.has_next():
                        rows.append(result.get_next())
                    return rows
                except RuntimeError:
                    # A snapshot this reader held for long may have been retired; the pointer names a newer one.
                    if attempt == 2 or self.layout.read_pointer() == snap.pointer:
                        raise
                    self._stamp = None
            raise AssertionError("unreachable")

    # ---- reads -------------------------------------------------------------------------------

    def read_consistently(self, read: Callable[[], T]) -> T:
        """Every read of this thread inside `read` goes to the snapshot current when it began."""
        if getattr(self._pins, "snapshot", None) is not None:
            return read()
        with self._lock:
            snap = self._current()
            if snap is None:
                return read()
            snap.readers += 1
        self._pins.snapshot = snap
        try:
            return read()
        finally:
            self._pins.snapshot = None
            with self._lock:
                snap.readers -= 1
                if snap.retired and snap.readers == 0:
                    snap.close()

    def neighbours(
        self, node_id: str, direction: Direction, edge_kinds: Iterable[EdgeKind] | None = None
    ) -> list[Neighbour]:
        return self.neighbours_of([node_id], direction, edge_kinds)[node_id]

    def neighbours_of(
        self, node_ids: Iterable[str], direction: Direction, edge_kinds: Iterable[EdgeKind] | None = None
    ) -> dict[str, list[Neighbour]]:
        kinds = [EdgeKind(k).value for k in edge_kinds] if edge_kinds is not None else None
        ids = list(dict.fromkeys(node_ids))
        with self._lock:
            snap = self._current()
            if snap is None:
                return {i: [] for i in ids}
            # In memory once a traversal has indexed the snapshot, or when more nodes are asked about than
            # point queries are worth (as for node rows); until then each node is a query.
            in_memory = snap.adjacency_built or len(ids) > POINT_LOOKUP_MAX
            if in_memory:
                found = snap.adjacency().neighbours_of(ids, direction, kinds)
                rows = [row for hits in found.values() for _, row in hits]
                data = snap.nodes_table()["data"].take(pa.array(rows, type=pa.int64())).to_pylist() if rows else []
        if not in_memory:
            return {i: self._queried_neighbours(i, direction, kinds) for i in ids}
        # Decoded outside the lock: other readers need not wait for it.
        nodes = iter(decode_nodes(data))
        return {
            i: [Neighbour(edge=edge, node=next(nodes)) for edge, _ in hits] if hits else []  # most have none
            for i, hits in found.items()
        }

    def _queried_neighbours(self, node_id: str, direction: Direction, kinds: list[str] | None) -> list[Neighbour]:
        out: list[Neighbour] = []
        patterns = []
        if direction in (Direction.DOWNSTREAM, Direction.BOTH):
            patterns.append("MATCH (a:Node {id: $id})-[e:Edge]->(b:Node)")
        if direction in (Direction.UPSTREAM, Direction.BOTH):
            patterns.append("MATCH (b:Node)-[e:Edge]->(a:Node {id: $id})")
        for pattern in patterns:
            where = " WHERE e.kind IN $kinds" if kinds is not None else ""
            params: dict[str, Any] = {"id": node_id}
            if kinds is not None:
                params["kinds"] = kinds
            downstream = pattern.startswith("MATCH (a")
            for src, dst, kind, data, bdata in self._query(
                f"{pattern}{where} RETURN a.id, b.id, e.kind, e.data, b.data", params
            ):
                src, dst = (src, dst) if downstream else (dst, src)
                out.append(Neighbour(edge=read_edge(src, dst, kind, json.loads(data)), node=read_node(bdata)))
        return out

    def find_by_name(self, text: str, kinds: Iterable[NodeKind] | None = None, limit: int = 20) -> list[Node]:
        term = "|" + text.strip().lower() + "|"
        params: dict[str, Any] = {"term": term, "limit": int(limit)}
        where = "contains(n.lookup, $term)"
        if kinds is not None:
            params["kinds"] = [NodeKind(k).value for k in kinds]
            where += " AND n.kind IN $kinds"
        rows = self._query(f"MATCH (n:Node) WHERE {where} RETURN n.data ORDER BY n.id LIMIT $limit", params)
        return decode_nodes([r[0] for r in rows])

    def nodes(self, kinds: Iterable[NodeKind] | None = None) -> Iterator[Node]:
        with self._lock:
            snap = self._current()
            if snap is None:
                return iter(())
            table = snap.nodes_table()
        if kinds is not None:
            table = table.filter(pc.is_in(table["kind"], pa.array([NodeKind(k).value for k in kinds])))
        return (read_node(d) for d in table["data"].to_pylist())

    def edges(self, kinds: Iterable[EdgeKind] | None = None) -> Iterator[Edge]:
        with self._lock:
            snap = self._current()
            if snap is None:
                return iter(())
            table = snap.edges_table()
        if kinds is not None:
            table = table.filter(pc.is_in(table["kind"], pa.array([EdgeKind(k).value for k in kinds])))
        return (_row_edge(row).edge() for row in table.to_pylist())

    def stats(self) -> StoreStats:
        nodes_by_kind = {k: n for k, n in self._query("MATCH (n:Node) RETURN n.kind, count(*)")}
        edges_by_kind = {k: n for k, n in self._query("MATCH ()-[e:Edge]->() RETURN e.kind, count(*)")}
        return StoreStats(
            backend=self.backend,
            location=str(self.layout.root),
            current_run=self.current_run(),
            nodes=sum(nodes_by_kind.values()),
            edges=sum(edges_by_kind.values()),
            nodes_by_kind=dict(sorted(nodes_by_kind.items())),
            edges_by_kind=dict(sorted(edges_by_kind.items())),
            schema_version=SCHEMA_VERSION,
        )

    def current_run(self) -> RunInfo | None:
        pointer = self.layout.read_pointer()
        if pointer is None:
            return None
        found = self.layout.read_run(pointer.run_id)
        return found[0] if found else None

    def runs(self, source: str | None = None, limit: int = 50) -> list[RunInfo]:
        out: list[RunInfo] = []
        for run in self.layout.committed_runs():
            if source is None or run.source == source:
                out.append(run)
                if len(out) >= limit:
                    break
        return out

    def changes(
        self,
        keys: Iterable[str] | None = None,
        run_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[ChangeRecord]:
        wanted = set(keys) if keys is not None else None
        out: list[ChangeRecord] = []
        for run in self.layout.committed_runs():
            if since is not None and run.started_at < since:
                break
            if run_id is not None and run.run_id != run_id:
                continue
            for change in self.layout.read_changes(run.run_id):
                if wanted is None or change.key in wanted:
                    out.append(change)
                    if len(out) >= limit:
                        return out
        return out

    # ---- primitives --------------------------------------------------------------------------

    def _load_nodes(self, node_ids: set[str]) -> dict[str, StoredNode]:
        return {row[0]: StoredNode(*row) for row in self._node_rows(node_ids, NODE_COLUMNS)}

    def _load_node_data(self, node_ids: set[str]) -> dict[str, str]:
        return dict(self._node_rows(node_ids, ("id", "data")))  # rows are (id, data) pairs

    def _node_rows(self, node_ids: set[str], columns: tuple[str, ...]) -> Sequence[Sequence[Any]]:
        """The given columns (the first being id) of each known node."""
        if not node_ids:
            return []
        with self._lock:
            snap = self._current()
            if snap is None:
                return []
            if snap.indexed or len(node_ids) > POINT_LOOKUP_MAX:
                table = snap.node_rows(node_ids, columns)
                return list(zip(*(table[c].to_pylist() for c in columns), strict=True))
        # Until the snapshot's rows are indexed in memory (the first traversal or large lookup does that),
        # UNWIND + a primary-key match is a point lookup per id; `WHERE n.id IN $ids` would scan every node.
        return self._query(
            "UNWIND $ids AS i MATCH (n:Node {id: i}) RETURN " + ", ".join(f"n.{c}" for c in columns),
            {"ids": sorted(node_ids)},
        )

    def _load_edges(self, keys: set[str]) -> dict[str, StoredEdge]:
        if not keys:
            return {}
        with self._lock:
            snap = self._current()
        if snap is None:
            return {}
        found = snap.edges_table().filter(pc.is_in(snap.edge_keys(), pa.array(sorted(keys))))
        return {f"{r['from']}|{r['kind']}|{r['to']}": _row_edge(r) for r in found.to_pylist()}

    def _edges_touching(self, node_ids: set[str]) -> dict[str, StoredEdge]:
        if not node_ids:
            return {}
        with self._lock:
            snap = self._current()
        if snap is None:
            return {}
        table = snap.edges_table()
        ids = pa.array(sorted(node_ids))
        found = table.filter(pc.or_(pc.is_in(table["from"], ids), pc.is_in(table["to"], ids)))
        return {f"{r['from']}|{r['kind']}|{r['to']}": _row_edge(r) for r in found.to_pylist()}

    def _asserted_by(self, source: str) -> tuple[set[str], set[str]]:
        with self._lock:
            snap = self._current()
        if snap is None:
            return set(), set()
        term = f"|{source}|"
        nodes = snap.nodes_table()
        node_ids = nodes.filter(pc.match_substring(nodes["sources"], term))["id"].to_pylist()
        edges = snap.edges_table()
        mask = pc.match_substring(edges["sources"], term)
        edge_keys = snap.edge_keys().filter(mask).to_pylist()
        return set(node_ids), set(edge_keys)

    def _closure(
        self, starts: tuple[str, ...], direction: Direction, kinds: list[str] | None, max_depth: int
    ) -> Iterator[Reached]:
        with self._lock:
            snap = self._current()
            if snap is None:
                return iter(())
            adjacency = snap.adjacency()
        return adjacency.closure(starts, direction, kinds, max_depth)

    def _write_lock(self) -> AbstractContextManager[None]:
        if self.read_only:
            raise StoreError("this graph store was opened read-only")
        return self.layout.write_lock()

    def _apply(self, plan: ApplyPlan) -> None:
        self.layout.ensure()
        self.layout.collect_garbage(self.snapshots_kept)
        with self._lock:
            snap = self._current()
        parent_snapshot = snap.pointer.snapshot if snap else None
        has_changes = bool(plan.upsert_nodes or plan.delete_nodes or plan.upsert_edges or plan.delete_edges)
        if has_changes or parent_snapshot is None:
            snapshot = plan.run.run_id
            self._write_snapshot(snapshot, snap, plan)
        else:
            snapshot = parent_snapshot
        self.layout.write_run(plan.run, snapshot, plan.changes)
        self.layout.write_pointer(Pointer(run_id=plan.run.run_id, snapshot=snapshot))

    def _write_snapshot(self, snapshot: str, parent: "_Snapshot | None", plan: ApplyPlan) -> None:
        nodes = parent.nodes_table() if parent else NODE_SCHEMA.empty_table()
        edges = parent.edges_table() if parent else EDGE_SCHEMA.empty_table()
        replaced = pa.array(sorted({r.id for r in plan.upsert_nodes} | set(plan.delete_nodes)), pa.string())
        nodes = pa.concat_tables([nodes.filter(pc.invert(pc.is_in(nodes["id"], replaced))), _node_table(plan.upsert_nodes)])
        edge_replaced = pa.array(sorted({r.key for r in plan.upsert_edges} | {r.key for r in plan.delete_edges}), pa.string())
        keys = _edge_keys(edges) if parent is None else parent.edge_keys()
        edges = pa.concat_tables([edges.filter(pc.invert(pc.is_in(keys, edge_replaced))), _edge_table(plan.upsert_edges)])

        folder = self.layout.new_snapshot_dir(snapshot)
        if "'" in str(folder):
            raise StoreError(f"the graph folder {folder} must not contain a single quote")
        pq.write_table(nodes, folder / "nodes.parquet")
        pq.write_table(edges, folder / "edges.parquet")
        db = ladybug.Database(str(folder / "db"))
        conn = ladybug.Connection(db)
        try:
            for migration in MIGRATIONS:
                for statement in migration.embedded:
                    conn.execute(statement)
            # COPY takes a file path literal: these are paths this process just created, not input.
            if nodes.num_rows:
                conn.execute(f"COPY Node FROM '{folder / 'nodes.parquet'}'")
            if edges.num_rows:
                conn.execute(f"COPY Edge FROM '{folder / 'edges.parquet'}'")
        finally:
            conn.close()
            db.close()
        (folder / "schema_version").write_text(str(SCHEMA_VERSION), encoding="utf-8")

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None
                self._stamp = None
