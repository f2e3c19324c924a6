"""The Neo4j GraphStore: plain parameterised Cypher over Bolt with the official driver (no APOC).

A run is one explicit transaction that first takes a write lock on the store's state node, then reads what
it needs, writes, and commits: concurrent runs serialise, readers see the state before or after, and a
run that dies is rolled back by the server.
"""

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, LiteralString, TypeVar

import neo4j
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable

from graph_schema.errors import StoreError, StoreUnavailableError
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.migrations import SCHEMA_VERSION, pending
from graph_schema.models import Edge, Node
from graph_schema.store.base import ApplyPlan, GraphStore
from graph_schema.store.models import ChangeRecord, Direction, Neighbour, Reached, RunInfo, StoreStats
from graph_schema.store.records import StoredEdge, StoredNode, decode_nodes, read_edge, read_node

T = TypeVar("T")
# Runs one Cypher statement with its parameters; its rows as lists.
Query = Callable[[LiteralString, dict[str, Any]], list[list[Any]]]
BATCH = 2000
READ_RETRY_S = 60.0
# A commit (the step after all of a run's writes) takes seconds; one marked in flight for longer died with its writer.
COMMIT_STALE_S = 15.0
SEQ_READ: LiteralString = (
    "MATCH (s:DatagraphSeq {key: 'commits'}) "
    "RETURN s.begun, s.done, duration.inSeconds(s.begun_at, datetime()).seconds"
)
NODE_FIELDS = "n.id, n.kind, n.name, n.qualified_name, n.lookup, n.sources, n.data, n.assertions"
EDGE_FIELDS = "a.id, b.id, toLower(type(e)), e.data, e.sources, e.assertions"
NODE_SET: LiteralString = (
    "n.id = r.id, n.kind = r.kind, n.name = r.name, n.qualified_name = r.qualified_name, n.lookup = r.lookup, "
    "n.sources = r.sources, n.data = r.data, n.assertions = r.assertions"
)
EDGE_SET: LiteralString = "e.data = r.data, e.sources = r.sources, e.assertions = r.assertions"


def rel_type(kind: EdgeKind | str) -> str:
    """The relationship type of an edge kind. Kinds come from a closed enum, so the type is safe to put in
    a query's text: Cypher cannot take a relationship type as a parameter, and one type per kind is what
    lets Neo4j filter traversals by kind without reading properties."""
    return EdgeKind(kind).value.upper()


def kind_of(rel: str) -> EdgeKind:
    return EdgeKind(rel.lower())


def _types(kinds: Iterable[EdgeKind | str] | None) -> str:
    """`:FEEDS|COLUMN_FEEDS` for a pattern, or empty for any kind."""
    return "" if kinds is None else ":" + "|".join(sorted({rel_type(k) for k in kinds}))


def _by_kind(refs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for ref in refs:
        grouped.setdefault(rel_type(ref["k"]), []).append(ref)
    return grouped


def _batches(rows: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _edge_ref(key: str) -> dict[str, str]:
    src, kind, dst = key.split("|", 2)
    return {"s": src, "k": kind, "t": dst}


def _stored_edge(row: list[Any]) -> StoredEdge:
    return StoredEdge(source=row[0], target=row[1], kind=row[2], data=row[3], sources=row[4], assertions=row[5])


class Neo4jStore(GraphStore):
    backend = "neo4j"

    def __init__(self, uri: str, *, user: str, password: str, database: str = "neo4j") -> None:
        self.uri = uri
        self.database = database
        self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password), notifications_min_severity="OFF")
        # The open run's transaction, per thread: a server may ingest on one thread while it answers on others.
        self._txs: dict[int, neo4j.Transaction] = {}
        # The read transaction of a consistent read in progress (read_consistently), per thread.
        self._readers: dict[int, Query] = {}
        # Nodes' JSON met by traversals inside that consistent read: the same state, so get_many may use them.
        self._met: dict[int, dict[str, str]] = {}
        try:
            self._migrate()
        except (ServiceUnavailable, DriverError, OSError) as exc:
            self._driver.close()
            raise StoreUnavailableError(f"cannot reach Neo4j at {uri}: {exc}") from exc
        except Neo4jError as exc:
            self._driver.close()
            raise StoreUnavailableError(f"Neo4j at {uri} refused datagraph: {exc.message}") from exc

    # ---- plumbing ----------------------------------------------------------------------------

    def _run(self, cypher: LiteralString, **params: Any) -> list[list[Any]]:
        """Inside a run, through its transaction (so the run sees its own lock); else a consistent read."""
        try:
            thread = threading.get_ident()
            tx = self._txs.get(thread)
            if tx is not None:
                return [list(r.values()) for r in tx.run(cypher, params)]
            reader = self._readers.get(thread)
            if reader is not None:
                return reader(cypher, params)
            return self._consistent_read(cypher, params)
        except (ServiceUnavailable, DriverError, OSError) as exc:
            raise StoreUnavailableError(f"Neo4j at {self.uri} is unavailable: {exc}") from exc

    def _query(self, cypher: LiteralString, params: dict[str, Any]) -> list[list[Any]]:
        records, _, _ = self._driver.execute_query(cypher, params, database_=self.database)
        return [list(r.values()) for r in records]

    def read_consistently(self, read: Callable[[], T]) -> T:
        """`read` in one read transaction under one sequence lock: every query in it sees the same state."""
        thread = threading.get_ident()
        if thread in self._txs or thread in self._readers:
            return read()

        def pinned(query: Query) -> T:
            self._readers[thread] = query
            self._met[thread] = {}  # a retry after a commit starts over
            try:
                return read()
            finally:
                del self._readers[thread]
                del self._met[thread]

        try:
            return self._consistent(pinned)
        except (ServiceUnavailable, DriverError, OSError) as exc:
            raise StoreUnavailableError(f"Neo4j at {self.uri} is unavailable: {exc}") from exc

    def _consistent_read(self, cypher: LiteralString, params: dict[str, Any]) -> list[list[Any]]:
        return self._consistent(lambda query: query(cypher, params))

    def _consistent(self, read: Callable[[Query], T]) -> T:
        """Run `read` (one query or several) so that it never sees half a commit: a sequence lock.

        Neo4j reads are read-committed: a query may see part of a large commit being applied, and two
        queries may see two states. Each run bumps `begun` before its commit and sets `done` after it; a
        read during which no commit started or ended saw one whole state. A crashed writer leaves
        begun > done, which the next run clears and which readers ignore after COMMIT_STALE_S.
        """
        deadline = time.monotonic() + READ_RETRY_S
        while True:
            # One read transaction for the lock and the reads: a query in it is one round trip, where a
            # query on its own also opens and commits a transaction.
            with (
                self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session,
                session.begin_transaction() as tx,
            ):
                def query(cypher: LiteralString, params: dict[str, Any]) -> list[list[Any]]:
                    return [list(r.values()) for r in tx.run(cypher, params)]

                before = query(SEQ_READ, {})
                in_flight = before and before[0][0] != before[0][1] and before[0][2] < COMMIT_STALE_S
                if not in_flight:
                    try:
                        result = read(query)
                    except (ValueError, KeyError, TypeError):
                        # Data half-way through a commit (a node without its kind yet) can break the read
                        # itself: that is a read the lock would have discarded, so it is retried, not raised.
                        if [r[:2] for r in query(SEQ_READ, {})] == [r[:2] for r in before]:
                            raise
                    else:
                        after = query(SEQ_READ, {})
                        if [r[:2] for r in after] == [r[:2] for r in before]:
                            return result
            if time.monotonic() > deadline:
                raise StoreUnavailableError("the graph kept changing under a read; try again")
            time.sleep(0.005)

    def _migrate(self) -> None:
        records, _, _ = self._driver.execute_query(
            "MERGE (m:DatagraphMeta {key: 'state'}) ON CREATE SET m.schema_version = 0 RETURN m.schema_version",
            database_=self.database,
        )
        self._driver.execute_query(
            "MERGE (s:DatagraphSeq {key: 'commits'}) ON CREATE SET s.begun = 0, s.done = 0, s.begun_at = datetime()",
            database_=self.database,
        )
        applied = int(records[0][0] or 0)
        if applied > SCHEMA_VERSION:
            raise StoreError(
                f"the Neo4j graph is at schema version {applied}, newer than this datagraph ({SCHEMA_VERSION})"
            )
        for migration in pending(applied):
            for statement in migration.neo4j:
                self._driver.execute_query(statement, database_=self.database)  # type: ignore[arg-type]
            self._driver.execute_query(
                "MATCH (m:DatagraphMeta {key: 'state'}) SET m.schema_version = $v",
                {"v": migration.number},
                database_=self.database,
            )

    # ---- reads -------------------------------------------------------------------------------

    def neighbours(
        self, node_id: str, direction: Direction, edge_kinds: Iterable[EdgeKind] | None = None
    ) -> list[Neighbour]:
        return self.neighbours_of([node_id], direction, edge_kinds)[node_id]

    def neighbours_of(
        self, node_ids: Iterable[str], direction: Direction, edge_kinds: Iterable[EdgeKind] | None = None
    ) -> dict[str, list[Neighbour]]:
        types = _types(edge_kinds)
        ids = list(dict.fromkeys(node_ids))
        out: dict[str, list[Neighbour]] = {i: [] for i in ids}
        # (the node asked about, source, target, kind, edge props, the other node) per row
        steps: list[LiteralString] = []
        if direction in (Direction.DOWNSTREAM, Direction.BOTH):
            steps.append(f"UNWIND $ids AS i MATCH (a:Asset {{id: i}})-[e{types}]->(b:Asset) "  # type: ignore[list-item]
                         "RETURN i, a.id, b.id, toLower(type(e)), e.data, b.data")
        if direction in (Direction.UPSTREAM, Direction.BOTH):
            steps.append(f"UNWIND $ids AS i MATCH (b:Asset)-[e{types}]->(a:Asset {{id: i}}) "  # type: ignore[list-item]
                         "RETURN i, b.id, a.id, toLower(type(e)), e.data, b.data")
        for batch in _batches(ids):
            for cypher in steps:
                rows = self._run(cypher, ids=batch)
                nodes = decode_nodes([row[5] for row in rows])
                for (at, src, dst, kind, data, _), node in zip(rows, nodes, strict=True):
                    out[at].append(Neighbour(edge=read_edge(src, dst, kind, json.loads(data)), node=node))
        return out

    def find_by_name(self, text: str, kinds: Iterable[NodeKind] | None = None, limit: int = 20) -> list[Node]:
        rows = self._run(
            "MATCH (n:Asset) WHERE n.lookup CONTAINS $term AND ($kinds IS NULL OR n.kind IN $kinds) "
            "RETURN n.data ORDER BY n.id LIMIT $limit",
            term="|" + text.strip().lower() + "|",
            kinds=[NodeKind(k).value for k in kinds] if kinds is not None else None,
            limit=int(limit),
        )
        return decode_nodes([r[0] for r in rows])

    def nodes(self, kinds: Iterable[NodeKind] | None = None) -> Iterator[Node]:
        rows = self._run(
            "MATCH (n:Asset) WHERE $kinds IS NULL OR n.kind IN $kinds RETURN n.data ORDER BY n.id",
            kinds=[NodeKind(k).value for k in kinds] if kinds is not None else None,
        )
        return (read_node(r[0]) for r in rows)

    def edges(self, kinds: Iterable[EdgeKind] | None = None) -> Iterator[Edge]:
        rows = self._run(f"MATCH (a:Asset)-[e{_types(kinds)}]->(b:Asset) RETURN {EDGE_FIELDS}")  # type: ignore[arg-type]
        return (_stored_edge(r).edge() for r in rows)

    def stats(self) -> StoreStats:
        nodes_by_kind = {k: n for k, n in self._run("MATCH (n:Asset) RETURN n.kind, count(*)")}
        edges_by_kind = {k: n for k, n in self._run("MATCH (:Asset)-[e]->(:Asset) RETURN toLower(type(e)), count(*)")}
        version = self._run("MATCH (m:DatagraphMeta {key: 'state'}) RETURN m.schema_version")
        return StoreStats(
            backend=self.backend,
            location=f"{self.uri} (database {self.database})",
            current_run=self.current_run(),
            nodes=sum(nodes_by_kind.values()),
            edges=sum(edges_by_kind.values()),
            nodes_by_kind=dict(sorted(nodes_by_kind.items())),
            edges_by_kind=dict(sorted(edges_by_kind.items())),
            schema_version=int(version[0][0]) if version else 0,
        )

    def current_run(self) -> RunInfo | None:
        rows = self._run(
            "MATCH (m:DatagraphMeta {key: 'state'}) MATCH (r:DatagraphRun {run_id: m.current_run}) RETURN r.json"
        )
        return RunInfo.model_validate_json(rows[0][0]) if rows else None

    def runs(self, source: str | None = None, limit: int = 50) -> list[RunInfo]:
        rows = self._run(
            "MATCH (r:DatagraphRun) WHERE $source IS NULL OR r.source = $source "
            "RETURN r.json ORDER BY r.run_id DESC LIMIT $limit",
            source=source,
            limit=int(limit),
        )
        return [RunInfo.model_validate_json(r[0]) for r in rows]

    def changes(
        self,
        keys: Iterable[str] | None = None,
        run_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[ChangeRecord]:
        rows = self._run(
            "MATCH (c:DatagraphChange) WHERE ($keys IS NULL OR c.key IN $keys) AND ($run IS NULL OR c.run_id = $run) "
            "AND ($since IS NULL OR c.at >= $since) RETURN c.json ORDER BY c.run_id DESC, c.seq ASC LIMIT $limit",
            keys=sorted(set(keys)) if keys is not None else None,
            run=run_id,
            since=since.isoformat() if since else None,
            limit=int(limit),
        )
        return [ChangeRecord.model_validate_json(r[0]) for r in rows]

    # ---- primitives --------------------------------------------------------------------------

    def _load_nodes(self, node_ids: set[str]) -> dict[str, StoredNode]:
        out: dict[str, StoredNode] = {}
        for batch in _batches(sorted(node_ids)):
            for row in self._run(f"UNWIND $ids AS i MATCH (n:Asset {{id: i}}) RETURN {NODE_FIELDS}", ids=batch):
                out[row[0]] = StoredNode(*row)
        return out

    def _load_node_data(self, node_ids: set[str]) -> dict[str, str]:
        met = self._met.get(threading.get_ident(), {})
        out = {i: met[i] for i in node_ids if i in met}
        for batch in _batches(sorted(node_ids - out.keys())):
            for node_id, data in self._run("UNWIND $ids AS i MATCH (n:Asset {id: i}) RETURN n.id, n.data", ids=batch):
                out[node_id] = data
        return out

    def _load_edges(self, keys: set[str]) -> dict[str, StoredEdge]:
        out: dict[str, StoredEdge] = {}
        for rel, refs in _by_kind([_edge_ref(k) for k in sorted(keys)]).items():
            for batch in _batches(refs):
                for row in self._run(
                    f"UNWIND $refs AS r MATCH (a:Asset {{id: r.s}})-[e:{rel}]->(b:Asset {{id: r.t}}) "  # type: ignore[arg-type]
                    f"RETURN {EDGE_FIELDS}",
                    refs=batch,
                ):
                    edge = _stored_edge(row)
                    out[edge.key] = edge
        return out

    def _edges_touching(self, node_ids: set[str]) -> dict[str, StoredEdge]:
        out: dict[str, StoredEdge] = {}
        for batch in _batches(sorted(node_ids)):
            for row in self._run(
                "UNWIND $ids AS i MATCH (x:Asset {id: i}) MATCH (a:Asset)-[e]->(b:Asset) "
                f"WHERE a = x OR b = x RETURN DISTINCT {EDGE_FIELDS}",
                ids=batch,
            ):
                edge = _stored_edge(row)
                out[edge.key] = edge
        return out

    def _asserted_by(self, source: str) -> tuple[set[str], set[str]]:
        term = f"|{source}|"
        nodes = self._run("MATCH (n:Asset) WHERE n.sources CONTAINS $term RETURN n.id", term=term)
        edges = self._run(
            "MATCH (a:Asset)-[e]->(b:Asset) WHERE e.sources CONTAINS $term RETURN a.id, toLower(type(e)), b.id",
            term=term,
        )
        return {r[0] for r in nodes}, {f"{s}|{k}|{t}" for s, k, t in edges}

    def _closure(
        self, starts: tuple[str, ...], direction: Direction, kinds: list[str] | None, max_depth: int
    ) -> Iterator[Reached]:
        """Level-by-level BFS, one query per level, all levels under one sequence lock (one state).

        Measured on the benchmark estate, Neo4j's `ANY SHORTEST` over a whole closure took seconds where
        a query per level takes milliseconds: it solves each target's shortest path on its own.
        """
        thread = threading.get_ident()
        if self._txs.get(thread) is not None:
            return iter(self._bfs(starts, direction, kinds, max_depth, self._in_run))
        reader = self._readers.get(thread)
        if reader is not None:
            return iter(self._bfs(starts, direction, kinds, max_depth, reader, self._met[thread]))
        try:
            return iter(self._consistent(lambda query: self._bfs(starts, direction, kinds, max_depth, query)))
        except (ServiceUnavailable, DriverError, OSError) as exc:
            raise StoreUnavailableError(f"Neo4j at {self.uri} is unavailable: {exc}") from exc

    def _in_run(self, cypher: LiteralString, params: dict[str, Any]) -> list[list[Any]]:
        return self._run(cypher, **params)

    def _bfs(
        self,
        starts: tuple[str, ...],
        direction: Direction,
        kinds: list[str] | None,
        max_depth: int,
        query: Query,
        met: dict[str, str] | None = None,
    ) -> list[Reached]:
        """`met`, when given, collects each reached node's JSON: an answer reads them next, in the same state."""
        types = _types(kinds)
        if direction is Direction.DOWNSTREAM:
            step = f"UNWIND $ids AS i MATCH (a:Asset {{id: i}})-[e{types}]->(b:Asset) "
        else:
            step = f"UNWIND $ids AS i MATCH (b:Asset)-[e{types}]->(a:Asset {{id: i}}) "
        # One row per newly reached node, for the edge from the least id before it: the engine drops the
        # edges into nodes already reached, which would otherwise make up most of what crosses the wire.
        cypher = step + (
            "WHERE NOT b.id IN $seen "
            "WITH a, b, e ORDER BY b.id, a.id, type(e) "
            "WITH b, head(collect([a.id, toLower(type(e)), e.data])) AS first "
            "RETURN first[0], b.id, b.kind, b.name, first[1], first[2]"
            + (", b.data" if met is not None else ", null")
            + " ORDER BY b.id"
        )
        paths: dict[str, tuple[str, ...]] = {s: (s,) for s in starts}
        reached: list[Reached] = []
        frontier = list(starts)
        for _ in range(max_depth):
            if not frontier:
                break
            next_frontier: list[str] = []
            params = {"ids": frontier, "seen": list(paths)}
            rows = query(cypher, params)  # type: ignore[arg-type]
            for origin, node_id, kind, name, edge_kind, data, node_data in rows:
                if node_id in paths:
                    continue
                if met is not None:
                    met[node_id] = node_data
                paths[node_id] = paths[origin] + (node_id,)
                src, dst = (origin, node_id) if direction is Direction.DOWNSTREAM else (node_id, origin)
                reached.append(
                    Reached(
                        id=node_id,
                        kind=NodeKind(kind),
                        name=name,
                        distance=len(paths[node_id]) - 1,
                        path=paths[node_id],
                        via=read_edge(src, dst, edge_kind, {} if data == "{}" else json.loads(data)),
                    )
                )
                next_frontier.append(node_id)
            frontier = next_frontier
        return reached

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        thread = threading.get_ident()
        if thread in self._txs:
            raise StoreError("a run is already open on this thread")
        session = self._driver.session(database=self.database)
        try:
            tx = self._txs[thread] = session.begin_transaction()
            # Writing the state node takes its lock until commit: concurrent runs wait here.
            tx.run("MATCH (m:DatagraphMeta {key: 'state'}) SET m.locked_at = datetime()").consume()
            # Writers are serialised by the lock above, so no commit is in flight: clear what a crashed one left.
            self._query("MATCH (s:DatagraphSeq {key: 'commits'}) SET s.done = s.begun", {})
            yield
            self._query("MATCH (s:DatagraphSeq {key: 'commits'}) SET s.begun = s.begun + 1, s.begun_at = datetime()", {})
            try:
                tx.commit()
            finally:
                self._query("MATCH (s:DatagraphSeq {key: 'commits'}) SET s.done = s.begun", {})
        except (ServiceUnavailable, DriverError, OSError) as exc:
            raise StoreUnavailableError(f"Neo4j at {self.uri} became unavailable during a run: {exc}") from exc
        finally:
            open_tx = self._txs.pop(thread, None)
            if open_tx is not None and not open_tx.closed():
                open_tx.rollback()
            session.close()

    def _apply(self, plan: ApplyPlan) -> None:
        run = self._run
        for rel, refs in _by_kind([_edge_ref(e.key) for e in plan.delete_edges]).items():
            for batch in _batches(refs):
                run(
                    f"UNWIND $refs AS r MATCH (:Asset {{id: r.s}})-[e:{rel}]->(:Asset {{id: r.t}}) DELETE e",  # type: ignore[arg-type]
                    refs=batch,
                )
        for batch in _batches(plan.delete_nodes):
            run("UNWIND $ids AS i MATCH (n:Asset {id: i}) DETACH DELETE n", ids=batch)
        created = [vars(n) for n in plan.upsert_nodes if n.id in plan.created_nodes]
        updated = [vars(n) for n in plan.upsert_nodes if n.id not in plan.created_nodes]
        for batch in _batches(created):
            run(f"UNWIND $rows AS r CREATE (n:Asset) SET {NODE_SET}", rows=batch)
        for batch in _batches(updated):
            run(f"UNWIND $rows AS r MATCH (n:Asset {{id: r.id}}) SET {NODE_SET}", rows=batch)
        created_edges = [{**_edge_ref(e.key), **vars(e)} for e in plan.upsert_edges if e.key in plan.created_edges]
        updated_edges = [{**_edge_ref(e.key), **vars(e)} for e in plan.upsert_edges if e.key not in plan.created_edges]
        for rel, rows in _by_kind(created_edges).items():
            for batch in _batches(rows):
                run(
                    "UNWIND $rows AS r MATCH (a:Asset {id: r.s}) MATCH (b:Asset {id: r.t}) "  # type: ignore[arg-type]
                    f"CREATE (a)-[e:{rel}]->(b) SET {EDGE_SET}",
                    rows=batch,
                )
        for rel, rows in _by_kind(updated_edges).items():
            for batch in _batches(rows):
                run(
                    f"UNWIND $rows AS r MATCH (:Asset {{id: r.s}})-[e:{rel}]->(:Asset {{id: r.t}}) "  # type: ignore[arg-type]
                    f"SET {EDGE_SET}",
                    rows=batch,
                )
        change_rows = [
            {"run_id": c.run_id, "key": c.key, "at": c.at.isoformat(), "seq": i, "json": c.model_dump_json()}
            for i, c in enumerate(plan.changes)
        ]
        for batch in _batches(change_rows):
            run(
                "UNWIND $rows AS r CREATE (:DatagraphChange {run_id: r.run_id, key: r.key, at: r.at, seq: r.seq, "
                "json: r.json})",
                rows=batch,
            )
        run(
            "CREATE (:DatagraphRun {run_id: $run_id, source: $source, json: $json}) WITH 1 AS one "
            "MATCH (m:DatagraphMeta {key: 'state'}) SET m.current_run = $run_id",
            run_id=plan.run.run_id,
            source=plan.run.source,
            json=plan.run.model_dump_json(),
        )

    def close(self) -> None:
        self._driver.close()
