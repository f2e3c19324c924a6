"""dbt artifacts in, graph nodes and edges plus a report out. Pure: no files, no store.

The order matters: groups first (owners resolve through them), then datasets and their columns, column
lineage (which may add columns only SQL reveals), tests, the semantic layer, and exposures last (they may
depend on metrics).
"""

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from graph_schema.kinds import EdgeKind
from graph_schema.models import Edge, Node
from ingestors.common.report import IngestReport
from ingestors.common.workunit import WorkUnit
from ingestors.dbt.artifacts import DbtArtifacts
from ingestors.dbt.context import ParseContext
from ingestors.dbt.cycles import depends_on_cycles
from ingestors.dbt.datasets import RELATION_KINDS, add_datasets
from ingestors.dbt.governance import add_exposures, add_groups
from ingestors.dbt.lineage import Analyzer, LineageBuilder, LineageStats, PreviousLineage
from ingestors.dbt.quality import add_tests
from ingestors.dbt.semantic import add_semantic_layer


@dataclass
class ParseResult:
    project: str
    nodes: dict[str, Node]
    edges: dict[str, Edge]
    report: IngestReport
    lineage: LineageStats

    def work_units(self) -> list[WorkUnit]:
        """One work unit per node with the edges it is the target of (every edge lands in exactly one)."""
        units = {node_id: WorkUnit(item=node_id, nodes=[node]) for node_id, node in self.nodes.items()}
        for edge in self.edges.values():
            units[edge.target].edges.append(edge)
        return list(units.values())


def parse(
    artifacts: DbtArtifacts,
    analyzer: Analyzer,
    *,
    engine_version: str = "",
    previous: Mapping[str, PreviousLineage] | None = None,
    authority: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> ParseResult:
    """Nodes and edges of a dbt project. `previous` maps model dataset ids to their last run's lineage.

    With `workers` > 1, large waves of models are analysed in that many worker processes (the analyzer
    must then be a module-level function); the result is the same as with one.
    """
    manifest = artifacts.manifest
    report = IngestReport(source=f"dbt:{manifest.project_name}")
    ctx = ParseContext(artifacts=artifacts, report=report, authority=authority)
    if authority is None and ctx.platform.needs_authority and ctx.platform.name != "duckdb":
        report.warn("namespace", "parse", f"no --authority given: {ctx.adapter} datasets are named under "
                    f"{ctx.adapter}://<database>, which other sources naming the host will not match")
    with report.timed("parse"):
        _report_cycles(ctx)
        add_groups(ctx)
        add_datasets(ctx)
    with report.timed("lineage"):
        stats = LineageBuilder(ctx, analyzer, previous or {}, engine_version, progress, workers).run()
    with report.timed("parse"):
        add_tests(ctx)
        add_semantic_layer(ctx)
        add_exposures(ctx)
    _drop_dangling(ctx)
    stats.column_edges = sum(1 for e in ctx.edges.values() if e.kind is EdgeKind.COLUMN_FEEDS)
    stats.shaping_edges = sum(1 for e in ctx.edges.values() if e.kind is EdgeKind.COLUMN_SHAPES)
    report.count_output(Counter(n.kind.value for n in ctx.nodes.values()),
                        Counter(e.kind.value for e in ctx.edges.values()))
    report.stats.update(
        {
            "dbt_version": manifest.metadata.dbt_version,
            "manifest_schema": f"v{manifest.schema_version}",
            "adapter": ctx.adapter,
            "models": sum(1 for n in manifest.nodes.values() if n.resource_type == "model"),
            "lineage_coverage": dict(stats.coverage),
            "lineage_parsed": stats.parsed,
            "lineage_reused": stats.reused,
            "lineage_unparsed": stats.unparsed,
            "column_edges": stats.column_edges,
            "shaping_edges": stats.shaping_edges,
        }
    )
    return ParseResult(project=ctx.project, nodes=ctx.nodes, edges=ctx.edges, report=report, lineage=stats)


def _report_cycles(ctx: ParseContext) -> None:
    """Models, seeds and snapshots that depend on each other in a circle: dbt could not build them."""
    parents = {
        unique_id: node.depends_on.nodes
        for unique_id, node in ctx.artifacts.manifest.nodes.items()
        if node.resource_type in RELATION_KINDS and node.config.enabled
    }
    for cycle in depends_on_cycles(parents):
        ctx.report.warn(cycle.path[0], "parse", cycle.message())


def _drop_dangling(ctx: ParseContext) -> None:
    """An edge to a node this run does not hold would be refused by the store: report it instead."""
    for key, edge in list(ctx.edges.items()):
        missing = [end for end in (edge.source, edge.target) if end not in ctx.nodes]
        if missing:
            del ctx.edges[key]
            ctx.report.warn(missing[0], "parse", f"{edge.kind.value} edge dropped: {missing[0]} is not in the graph")
