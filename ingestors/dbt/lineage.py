"""Column lineage of models and snapshots from their compiled SQL.

Models are analysed in dependency order so that a model whose upstream has no catalog or YAML columns can
use what the upstream's own lineage found. Each model's inputs (compiled SQL, dialect, upstream schema)
hash to a `lineage_key`; when the previous run of the same project stored the same key, its column edges
are reused rather than the SQL parsed again.
"""

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat
from multiprocessing import get_context
from pickle import PicklingError
from typing import Any
from urllib.parse import unquote

from graph_schema.ids import dataset_of_column
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, content_hash
from graph_schema.sql_lineage.models import QueryLineage
from ingestors.dbt.context import ParseContext
from ingestors.dbt.manifest import ManifestNode

# Bump when the mapping from engine output to edges changes, so stored keys stop matching.
LINEAGE_FORMAT = 1
PRODUCER = "dbt"
LINEAGE_KINDS = (EdgeKind.COLUMN_FEEDS, EdgeKind.COLUMN_SHAPES)
# Below this many models to analyse in one wave, starting worker processes costs more than it saves.
MIN_PARALLEL_JOBS = 64


Analyzer = Callable[[str, str, dict[str, Any]], QueryLineage]


class Coverage:
    COMPLETE = "complete"
    PARTIAL = "partial"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PreviousLineage:
    """What the store holds from the last run for one model: its key, lineage summary and column edges."""

    lineage_key: str
    lineage: dict[str, Any]
    edges: tuple[Edge, ...]


@dataclass
class LineageStats:
    coverage: dict[str, int] = field(default_factory=lambda: {"complete": 0, "partial": 0, "unknown": 0})
    parsed: int = 0
    reused: int = 0
    unparsed: int = 0
    no_sql: int = 0
    column_edges: int = 0
    shaping_edges: int = 0


def topological(ids: Iterable[str], parents: Mapping[str, list[str]]) -> list[str]:
    """Ids with every parent before its children (Kahn); ids in a cycle, if any, come last as given."""
    pending = list(dict.fromkeys(ids))
    members = set(pending)
    indegree = {i: 0 for i in pending}
    children: dict[str, list[str]] = {i: [] for i in pending}
    for child in pending:
        for parent in dict.fromkeys(parents.get(child, [])):
            if parent in members and parent != child:
                indegree[child] += 1
                children[parent].append(child)
    ready = [i for i in pending if indegree[i] == 0]
    order: list[str] = []
    while ready:
        current = ready.pop()
        order.append(current)
        for child in children[current]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    placed = set(order)
    return order + [i for i in pending if i not in placed]


def lineage_order(ctx: ParseContext) -> list[str]:
    manifest = ctx.artifacts.manifest
    ids = sorted(
        uid for uid, n in manifest.nodes.items()
        if n.resource_type in ("model", "snapshot") and uid in ctx.graph_id
    )
    return topological(ids, {uid: manifest.nodes[uid].depends_on.nodes for uid in ids})


def upstream_schema(ctx: ParseContext, node: ManifestNode) -> dict[str, dict[str, str]]:
    """{relation: {column: type}} of the datasets a model reads, as far as the graph knows them."""
    schema: dict[str, dict[str, str]] = {}
    for parent in node.depends_on.nodes:
        dataset_id = ctx.graph_id.get(parent)
        if dataset_id is None or ctx.nodes[dataset_id].kind is NodeKind.COLUMN:
            continue
        dataset = ctx.nodes[dataset_id]
        if dataset.kind not in (NodeKind.MODEL, NodeKind.SEED, NodeKind.SNAPSHOT, NodeKind.SOURCE):
            continue
        columns = {
            name: str(ctx.nodes[col_id].props.get("data_type") or "UNKNOWN")
            for name, col_id in ctx.columns.get(dataset_id, {}).items()
        }
        if columns:
            schema[dataset.qualified_name] = columns
    return schema


def generations(ids: list[str], parents: Mapping[str, list[str]]) -> list[list[str]]:
    """`ids` (in topological order) grouped into waves whose members depend only on earlier waves."""
    members = set(ids)
    level: dict[str, int] = {}
    for unique_id in ids:
        ups = [level[p] for p in parents.get(unique_id, []) if p in members and p in level and p != unique_id]
        level[unique_id] = 1 + max(ups, default=-1)
    waves: list[list[str]] = [[] for _ in range(1 + max(level.values(), default=-1))]
    for unique_id in ids:
        waves[level[unique_id]].append(unique_id)
    return [sorted(wave) for wave in waves]


@dataclass(frozen=True)
class _Job:
    unique_id: str
    dataset_id: str
    sql: str
    schema: dict[str, dict[str, str]]
    key: str


def _analyze_one(analyzer: Analyzer, sql: str, dialect: str, schema: dict[str, Any]) -> QueryLineage | str:
    """Lineage, or the one-line reason it failed (a worker must not raise: one model never stops the run)."""
    try:
        return analyzer(sql, dialect, schema)
    except Exception as exc:  # noqa: BLE001 - any engine failure is this model's problem only
        return " ".join(str(exc).split())[:300] or type(exc).__name__


class LineageBuilder:
    """Analyses models wave by wave: a wave's schemas are fixed before any of its members is mapped, so the
    result is the same whether the wave runs in this process or across worker processes."""

    def __init__(
        self,
        ctx: ParseContext,
        analyzer: Analyzer,
        previous: Mapping[str, PreviousLineage],
        engine_version: str,
        progress: Callable[[int, int], None] | None = None,
        workers: int = 1,
    ) -> None:
        self.ctx = ctx
        self.analyzer = analyzer
        self.previous = previous
        self.engine_version = engine_version
        self.progress = progress
        self.workers = max(1, workers)
        self.stats = LineageStats()
        self._pool: ProcessPoolExecutor | None = None

    def run(self) -> LineageStats:
        manifest = self.ctx.artifacts.manifest
        order = lineage_order(self.ctx)
        waves = generations(order, {uid: manifest.nodes[uid].depends_on.nodes for uid in order})
        done = 0
        try:
            for wave in waves:
                jobs = [job for uid in wave if (job := self._prepare(uid)) is not None]
                for job, result in zip(jobs, self._analyze(jobs)):
                    self._record(job, result)
                done += len(wave)
                if self.progress is not None:
                    self.progress(done, len(order))
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
        return self.stats

    def _prepare(self, unique_id: str) -> _Job | None:
        """Finish what needs no analysis (no SQL, reusable); return a job for the rest."""
        ctx = self.ctx
        node = ctx.artifacts.manifest.nodes[unique_id]
        dataset_id = ctx.graph_id[unique_id]
        if node.language != "sql":
            self._finish(dataset_id, None, {"status": "no_sql", "coverage": Coverage.UNKNOWN,
                                            "reason": f"{node.language} model: no SQL to analyse"})
            return None
        if not node.compiled_code:
            self._finish(dataset_id, None, {"status": "no_sql", "coverage": Coverage.UNKNOWN,
                                            "reason": "no compiled SQL in the manifest (run dbt compile)"})
            return None
        schema = upstream_schema(ctx, node)
        key = content_hash({"sql": node.compiled_code, "dialect": ctx.dialect, "schema": schema,
                            "engine": self.engine_version, "format": LINEAGE_FORMAT})
        prior = self.previous.get(dataset_id)
        if prior is not None and prior.lineage_key == key and self._reuse(dataset_id, prior):
            self.stats.reused += 1
            if prior.lineage.get("status") == "unparsed":
                self.stats.unparsed += 1
                ctx.report.warn(unique_id, "lineage", f"compiled SQL not analysed: {prior.lineage.get('reason')}")
            self._finish(dataset_id, key, prior.lineage)
            return None
        return _Job(unique_id, dataset_id, node.compiled_code, schema, key)

    def _analyze(self, jobs: list[_Job]) -> list[QueryLineage | str]:
        dialect = self.ctx.dialect
        if self.workers > 1 and len(jobs) >= MIN_PARALLEL_JOBS:
            pool = self._pool or ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))
            self._pool = pool
            chunk = max(1, len(jobs) // (self.workers * 8))
            try:
                return list(pool.map(partial(_analyze_one, self.analyzer),
                                     [j.sql for j in jobs], repeat(dialect), [j.schema for j in jobs],
                                     chunksize=chunk))
            except (BrokenProcessPool, PicklingError, AttributeError, TypeError) as exc:
                # workers unavailable (or the analyzer cannot be sent to them): analyse here instead
                self.ctx.report.warn("lineage", "lineage", f"worker processes unusable ({exc}); analysing in-process")
                self.workers = 1
        return [_analyze_one(self.analyzer, j.sql, dialect, j.schema) for j in jobs]

    def _record(self, job: _Job, result: QueryLineage | str) -> None:
        if isinstance(result, str):
            self.ctx.report.warn(job.unique_id, "lineage", f"compiled SQL not analysed: {result}")
            self.stats.unparsed += 1
            self._finish(job.dataset_id, job.key, {"status": "unparsed", "coverage": Coverage.UNKNOWN,
                                                   "reason": result})
            return
        self.stats.parsed += 1
        self._finish(job.dataset_id, job.key, self._map(job.unique_id, job.dataset_id, result))

    def _finish(self, dataset_id: str, key: str | None, lineage: dict[str, Any]) -> None:
        ctx = self.ctx
        if lineage["status"] == "no_sql":
            self.stats.no_sql += 1
        self.stats.coverage[lineage["coverage"]] += 1
        node = ctx.nodes[dataset_id]
        props = {**node.props, "lineage": lineage}
        if key is not None:
            props["lineage_key"] = key
        ctx.replace_node(node.model_copy(update={"props": props}))

    def _reuse(self, dataset_id: str, prior: PreviousLineage) -> bool:
        """Put back last run's column edges; False if an end no longer exists (then parse again)."""
        ctx = self.ctx
        ends: list[tuple[Edge, str, str]] = []
        for edge in prior.edges:
            source_dataset = dataset_of_column(edge.source)
            if source_dataset not in ctx.nodes:
                return False
            ends.append((edge, source_dataset, unquote(edge.source.rsplit("#", 1)[1])))
        for name in prior.lineage.get("output_columns", []):
            ctx.ensure_column(dataset_id, str(name), "lineage", exact=True)
        for edge, source_dataset, column in ends:
            source = ctx.ensure_column(source_dataset, column, "lineage", exact=True)
            if edge.kind is EdgeKind.COLUMN_FEEDS:
                target = ctx.ensure_column(dataset_id, unquote(edge.target.rsplit("#", 1)[1]), "lineage", exact=True)
                self.stats.column_edges += 1
            else:
                target = dataset_id
                self.stats.shaping_edges += 1
            ctx.add_edge(source, target, edge.kind, dict(edge.props))
        return True

    def _map(self, unique_id: str, dataset_id: str, result: QueryLineage) -> dict[str, Any]:
        ctx = self.ctx
        unresolved: dict[str, None] = {}
        incomplete = False
        outputs: list[str] = []

        def known(table: str) -> str | None:
            # a table function (range(...), generate_series(...)) makes rows; it is no relation
            if "(" in table:
                return ""
            found = ctx.dataset_for_table(table)
            if found is None:
                unresolved[table] = None
            return found

        for column in result.columns:
            if column.name == "*":
                incomplete = True
                continue
            outputs.append(column.name)
            target = ctx.ensure_column(dataset_id, column.name, "lineage", exact=True)
            for src in column.sources:
                source_dataset = known(src.table)
                if not source_dataset:
                    continue
                if source_dataset == dataset_id:
                    continue  # an incremental model reading itself
                if src.column == "*" or src.confidence < 1.0:
                    incomplete = True
                    if src.column == "*":
                        continue
                source = ctx.ensure_column(source_dataset, src.column, "lineage", exact=True)
                props: dict[str, Any] = {
                    "transformation": str(src.transformation),
                    "confidence": src.confidence,
                    "producer": PRODUCER,
                }
                if src.expression:
                    props["expression"] = src.expression
                ctx.add_edge(source, target, EdgeKind.COLUMN_FEEDS, props)
                self.stats.column_edges += 1
        for shape in result.row_shaping:
            source_dataset = known(shape.table)
            if not source_dataset:
                continue
            if source_dataset == dataset_id or shape.column == "*":
                continue
            source = ctx.ensure_column(source_dataset, shape.column, "lineage", exact=True)
            ctx.add_edge(source, dataset_id, EdgeKind.COLUMN_SHAPES,
                         {"role": str(shape.role), "confidence": shape.confidence, "producer": PRODUCER})
            self.stats.shaping_edges += 1
        if unresolved:
            incomplete = True
            shown = ", ".join(list(unresolved)[:3])
            ctx.report.warn(unique_id, "lineage", f"reads tables that are not in the project: {shown}")
        lineage: dict[str, Any] = {
            "status": "parsed",
            "coverage": Coverage.PARTIAL if incomplete else Coverage.COMPLETE,
            "output_columns": outputs,
        }
        if unresolved:
            lineage["unresolved_tables"] = list(unresolved)[:20]
        return lineage
