"""The GraphStore interface: semantic operations every backend offers, and the run protocol they share.

Writes happen only inside an ingestion run (`begin_run`), which is atomic: readers see the state before
the run or after it, never between. A run asserts what one source sees now; the store works out what that
source added, changed and stopped asserting since its last run, and records each change in history.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from types import TracebackType
from typing import Self, TypeVar
from uuid import uuid4

from graph_schema.errors import RunFailedError, StoreError
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.store.models import (
    ChangeKind,
    ChangeRecord,
    Direction,
    Neighbour,
    Reached,
    RunInfo,
    RunStatus,
    RunSummary,
    StoreStats,
    Traversal,
    edge_key,
)
from graph_schema.store.records import (
    StoredEdge,
    StoredNode,
    decode_nodes,
    merge_nodes,
    stored_edge,
    stored_node,
)

T = TypeVar("T")
# LadybugDB bounds variable-length patterns at 30 hops; lineage deeper than that is not a real estate.
MAX_TRAVERSAL_DEPTH = 30
DEFAULT_TRAVERSAL_LIMIT = 10_000
_BY_DISTANCE_THEN_ID = attrgetter("distance", "id")  # how traversals order what they reach


@dataclass
class ApplyPlan:
    """Everything one run changes, handed to a backend to apply in one atomic step."""

    run: RunInfo
    upsert_nodes: list[StoredNode] = field(default_factory=list)
    delete_nodes: list[str] = field(default_factory=list)
    upsert_edges: list[StoredEdge] = field(default_factory=list)
    delete_edges: list[StoredEdge] = field(default_factory=list)
    changes: list[ChangeRecord] = field(default_factory=list)
    # Which upserts are new (no stored node/edge yet): a backend may create them without a lookup.
    created_nodes: set[str] = field(default_factory=set)
    created_edges: set[str] = field(default_factory=set)


def new_run_id(now: datetime) -> str:
    # Sortable by time, unique across processes.
    return f"{now:%Y%m%dT%H%M%S%f}-{uuid4().hex[:8]}"


class GraphStore(ABC):
    """Read operations plus `begin_run` for writes. Backends implement the underscored primitives."""

    backend: str

    # ---- reads -------------------------------------------------------------------------------

    def read_consistently(self, read: Callable[[], T]) -> T:
        """Run `read`, a function of several reads of this store, against one state of the graph.

        `read` may run more than once (when a commit lands during it), so it must only read. Calls nest.
        """
        return read()

    def get(self, node_id: str) -> Node | None:
        return self.get_many([node_id]).get(node_id)

    def get_many(self, node_ids: Iterable[str]) -> dict[str, Node]:
        found = self._load_node_data(set(node_ids))
        return dict(zip(found, decode_nodes(list(found.values())), strict=True))

    def sources_of(self, node_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The run sources (e.g. `dbt:shop`) that assert each node now, sorted; unknown ids are left out."""
        return {i: tuple(s for s in rec.sources.split("|") if s) for i, rec in self._load_nodes(set(node_ids)).items()}

    @abstractmethod
    def neighbours(
        self, node_id: str, direction: Direction, edge_kinds: Iterable[EdgeKind] | None = None
    ) -> list[Neighbour]:
        """Nodes one edge away, with the edge (in its stored direction)."""

    def neighbours_of(
        self, node_ids: Iterable[str], direction: Direction, edge_kinds: Iterable[EdgeKind] | None = None
    ) -> dict[str, list[Neighbour]]:
        """`neighbours` of each node (every id given is a key); a backend may answer all in one query."""
        kinds = list(edge_kinds) if edge_kinds is not None else None
        return {i: self.neighbours(i, direction, kinds) for i in dict.fromkeys(node_ids)}

    @abstractmethod
    def find_by_name(self, text: str, kinds: Iterable[NodeKind] | None = None, limit: int = 20) -> list[Node]:
        """Nodes whose name, qualified name or an alias equals `text`, ignoring case."""

    @abstractmethod
    def nodes(self, kinds: Iterable[NodeKind] | None = None) -> Iterator[Node]:
        """Every node (of the given kinds)."""

    @abstractmethod
    def edges(self, kinds: Iterable[EdgeKind] | None = None) -> Iterator[Edge]:
        """Every edge (of the given kinds)."""

    @abstractmethod
    def stats(self) -> StoreStats: ...

    @abstractmethod
    def current_run(self) -> RunInfo | None:
        """The run whose snapshot readers see now."""

    @abstractmethod
    def runs(self, source: str | None = None, limit: int = 50) -> list[RunInfo]:
        """Committed runs, newest first."""

    @abstractmethod
    def changes(
        self,
        keys: Iterable[str] | None = None,
        run_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[ChangeRecord]:
        """Recorded changes, newest first, optionally only for some node ids / edge keys, one run, or since a time."""

    def traverse(
        self,
        start: str | Iterable[str],
        direction: Direction,
        edge_kinds: Iterable[EdgeKind] | None = None,
        max_depth: int = 5,
        limit: int = DEFAULT_TRAVERSAL_LIMIT,
    ) -> Traversal:
        """Breadth-first: every node within `max_depth` edges, each with one shortest path to it.

        Never enumerates paths, so diamonds in lineage DAGs cost nothing extra. With direction BOTH the
        walk goes upstream and downstream separately (a sibling reached through a common parent is not
        lineage of the start).
        """
        starts = (start,) if isinstance(start, str) else tuple(dict.fromkeys(start))
        if not 0 <= max_depth <= MAX_TRAVERSAL_DEPTH:
            raise StoreError(f"depth {max_depth} is out of range 0..{MAX_TRAVERSAL_DEPTH}")
        kinds = sorted(EdgeKind(k).value for k in edge_kinds) if edge_kinds is not None else None
        start_ids = set(starts)
        if max_depth == 0 or not starts:
            found: Iterable[Reached] = ()
        elif direction is not Direction.BOTH:
            # One closure reaches each node once: nothing to merge.
            found = [hit for hit in self._closure(starts, direction, kinds, max_depth) if hit.id not in start_ids]
        else:
            best: dict[str, Reached] = {}
            for step_direction in (Direction.UPSTREAM, Direction.DOWNSTREAM):
                for hit in self._closure(starts, step_direction, kinds, max_depth):
                    if hit.id in start_ids:
                        continue
                    known = best.get(hit.id)
                    if known is None or (hit.distance, hit.path) < (known.distance, known.path):
                        best[hit.id] = hit
            found = best.values()
        ordered = sorted(found, key=_BY_DISTANCE_THEN_ID)
        return Traversal(
            start=starts,
            direction=direction,
            max_depth=max_depth,
            reached=ordered[:limit],
            truncated=len(ordered) > limit,
        )

    # ---- writes ------------------------------------------------------------------------------

    def begin_run(self, source: str, meta: dict | None = None) -> "RunWriter":
        """Start an ingestion run for `source` (e.g. `dbt:shop`). Use as a context manager."""
        if not source or "|" in source:
            raise StoreError(f"run source {source!r} must be non-empty and must not contain '|'")
        return RunWriter(self, source, meta or {})

    def commit_run(self, source: str, nodes: dict[str, Node], edges: dict[str, Edge], meta: dict) -> RunInfo:
        with self._write_lock():
            started = datetime.now(UTC)
            parent = self.current_run()
            run = RunInfo(
                run_id=new_run_id(started),
                source=source,
                started_at=started,
                parent_run_id=parent.run_id if parent else None,
                meta=meta,
            )
            plan = self._plan(run, source, nodes, edges)
            run.finished_at = datetime.now(UTC)
            run.status = RunStatus.COMMITTED
            try:
                self._apply(plan)
            except StoreError:
                raise
            except Exception as exc:  # a backend failure mid-apply: the backend rolled back
                raise RunFailedError(f"run of {source} failed and was rolled back: {exc}") from exc
            return run

    def _plan(self, run: RunInfo, source: str, nodes: dict[str, Node], edges: dict[str, Edge]) -> ApplyPlan:
        plan = ApplyPlan(run=run)
        summary = run.summary
        summary.nodes_asserted, summary.edges_asserted = len(nodes), len(edges)
        prev_nodes, prev_edges = self._asserted_by(source)
        # A source's first run is its initial load, not a change: history starts from it (the run itself
        # is recorded with its counts) instead of listing every asset as "added".
        first_run = not prev_nodes and not prev_edges

        touched = set(nodes) | prev_nodes
        existing = self._load_nodes(touched)
        deleted: set[str] = set()
        for node_id in sorted(touched):
            old = existing.get(node_id)
            assertions = old.assertion_map() if old else {}
            if node_id in nodes:
                assertions[source] = nodes[node_id].model_dump(mode="json")
            else:
                assertions.pop(source, None)
            if not assertions:
                if old is not None:
                    deleted.add(node_id)
                    plan.delete_nodes.append(node_id)
                    plan.changes.append(self._change(run, "node", ChangeKind.REMOVED, node_id, old.kind, old.data, None))
                    summary.nodes_removed += 1
                continue
            record = stored_node(assertions, nodes.get(node_id))
            if old is None:
                plan.upsert_nodes.append(record)
                plan.created_nodes.add(node_id)
                if not first_run:
                    plan.changes.append(self._change(run, "node", ChangeKind.ADDED, node_id, record.kind, None, record.data))
                summary.nodes_added += 1
            elif record.assertions != old.assertions:
                plan.upsert_nodes.append(record)
                if record.data != old.data:
                    plan.changes.append(
                        self._change(run, "node", ChangeKind.MODIFIED, node_id, record.kind, old.data, record.data)
                    )
                    summary.nodes_modified += 1

        alive = (set(existing) - deleted) | {r.id for r in plan.upsert_nodes}
        self._check_endpoints(source, edges, alive, deleted)

        edge_keys = set(edges) | prev_edges
        old_edges = self._load_edges(edge_keys)
        # Edges of removed nodes go with them, whoever asserted them.
        for key, old in self._edges_touching(deleted).items():
            if key not in old_edges:
                old_edges[key] = old
            edge_keys.add(key)
        for key in sorted(edge_keys):
            old = old_edges.get(key)
            assertions = old.assertion_map() if old else {}
            if key in edges:
                assertions[source] = dict(edges[key].props)
            else:
                assertions.pop(source, None)
            src, kind, dst = key.split("|", 2)
            if not assertions or src in deleted or dst in deleted:
                if old is not None:
                    plan.delete_edges.append(old)
                    plan.changes.append(self._change(run, "edge", ChangeKind.REMOVED, key, kind, old.data, None))
                    summary.edges_removed += 1
                continue
            record = stored_edge(src, dst, kind, assertions)
            if old is None:
                plan.upsert_edges.append(record)
                plan.created_edges.add(key)
                if not first_run:
                    plan.changes.append(self._change(run, "edge", ChangeKind.ADDED, key, kind, None, record.data))
                summary.edges_added += 1
            elif record.assertions != old.assertions:
                plan.upsert_edges.append(record)
                if record.data != old.data:
                    plan.changes.append(self._change(run, "edge", ChangeKind.MODIFIED, key, kind, old.data, record.data))
                    summary.edges_modified += 1
        return plan

    def _check_endpoints(self, source: str, edges: dict[str, Edge], alive: set[str], deleted: set[str]) -> None:
        unknown = {end for e in edges.values() for end in (e.source, e.target) if end not in alive}
        if not unknown:
            return
        found = set(self._load_nodes(unknown - deleted))
        missing = sorted(unknown - found)
        if missing:
            shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            raise RunFailedError(f"run of {source} has edges to nodes that do not exist: {shown}")

    @staticmethod
    def _change(
        run: RunInfo, entity: str, change: ChangeKind, key: str, kind: str, before: str | None, after: str | None
    ) -> ChangeRecord:
        return ChangeRecord(
            run_id=run.run_id,
            at=run.started_at,
            source=run.source,
            entity=entity,  # type: ignore[arg-type]
            change=change,
            key=key,
            kind=kind,
            before=json.loads(before) if before else None,
            after=json.loads(after) if after else None,
        )

    # ---- backend primitives ------------------------------------------------------------------

    @abstractmethod
    def _load_nodes(self, node_ids: set[str]) -> dict[str, StoredNode]: ...

    def _load_node_data(self, node_ids: set[str]) -> dict[str, str]:
        """Each node's merged JSON alone: reads skip the per-source assertions, which can be far larger."""
        return {i: rec.data for i, rec in self._load_nodes(node_ids).items()}

    @abstractmethod
    def _load_edges(self, keys: set[str]) -> dict[str, StoredEdge]: ...

    @abstractmethod
    def _edges_touching(self, node_ids: set[str]) -> dict[str, StoredEdge]: ...

    @abstractmethod
    def _asserted_by(self, source: str) -> tuple[set[str], set[str]]:
        """Ids of the nodes and keys of the edges that `source` asserts now."""

    @abstractmethod
    def _closure(
        self, starts: tuple[str, ...], direction: Direction, kinds: list[str] | None, max_depth: int
    ) -> Iterable[Reached]:
        """Every node within `max_depth` edges of a start, each once, with one shortest path, in ONE query.

        One query, so that the answer comes from one state of the graph even while a run commits; and
        shortest-path search (BFS in the engine), never path enumeration, which explodes on diamonds.
        """

    @abstractmethod
    def _apply(self, plan: ApplyPlan) -> None:
        """Apply a run's plan atomically and make it the current state; roll back entirely on failure."""

    @abstractmethod
    def _write_lock(self) -> AbstractContextManager[None]:
        """Exclusive across processes: one run commits at a time."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RunWriter:
    """Collects one run's nodes and edges; commits on a clean exit, discards everything on an exception."""

    def __init__(self, store: GraphStore, source: str, meta: dict) -> None:
        self._store = store
        self.source = source
        self.meta = meta
        self._nodes: dict[str, Node] = {}
        self._edges: dict[str, Edge] = {}
        self.info: RunInfo | None = None

    def add_nodes(self, nodes: Iterable[Node]) -> None:
        for node in nodes:
            prior = self._nodes.get(node.id)
            # One source may describe one dataset twice (a dbt seed and a source on the same relation).
            self._nodes[node.id] = node if prior is None else merge_nodes(
                {"0": prior.model_dump(mode="json"), "1": node.model_dump(mode="json")}
            )

    def add_edges(self, edges: Iterable[Edge]) -> None:
        for edge in edges:
            key = edge_key(edge.source, edge.kind, edge.target)
            prior = self._edges.get(key)
            self._edges[key] = edge if prior is None else edge.model_copy(update={"props": {**edge.props, **prior.props}})

    def has_node(self, node_id: str) -> bool:
        return node_id in self._nodes

    @property
    def summary(self) -> RunSummary:
        if self.info is None:
            raise StoreError("the run has not been committed")
        return self.info.summary

    def commit(self) -> RunInfo:
        self.info = self._store.commit_run(self.source, self._nodes, self._edges, self.meta)
        return self.info

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.commit()
