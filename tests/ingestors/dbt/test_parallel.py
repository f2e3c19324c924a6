"""Lineage analysed in worker processes gives the same graph as in-process analysis."""

from graph_schema.kinds import EdgeKind
from graph_schema.sql_lineage import analyze
from ingestors.dbt.artifacts import DbtArtifacts
from ingestors.dbt.lineage import MIN_PARALLEL_JOBS
from ingestors.dbt.parser import parse
from tests.ingestors.dbt.graph_helpers import col, edges_into


def wide_project(artifacts: DbtArtifacts, copies: int) -> DbtArtifacts:
    """The shop plus `copies` siblings of stg_customers: one wave large enough for worker processes."""
    wide = artifacts.model_copy(deep=True)
    model = wide.manifest.nodes["model.shop.stg_customers"]
    for i in range(copies):
        name = f"stg_customers_{i}"
        wide.manifest.nodes[f"model.shop.{name}"] = model.model_copy(
            update={"unique_id": f"model.shop.{name}", "name": name, "alias": name, "columns": {}}
        )
    return wide


def test_worker_processes_give_the_same_graph(shop_artifacts: DbtArtifacts) -> None:
    wide = wide_project(shop_artifacts, MIN_PARALLEL_JOBS)
    alone = parse(wide, analyze, workers=1)
    pooled = parse(wide, analyze, workers=2)
    assert pooled.report.warnings == alone.report.warnings == []
    assert pooled.nodes == alone.nodes
    assert pooled.edges == alone.edges
    copy = edges_into(pooled, col("staging.stg_customers_7", "email"), EdgeKind.COLUMN_FEEDS)
    assert set(copy) == {col("raw.raw_customers", "email")}
