"""Ingesting into a real store (embedded and Neo4j): atomic runs, unchanged re-ingest, a changed model, the CLI."""

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graph_schema.config import load_settings
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.store import Direction, GraphStore, open_store
from ingestors.dbt.cli import ingest_dbt
from ingestors.dbt.errors import ArtifactNotFoundError
from ingestors.dbt.ingest import ingest_dbt_project
from tests.ingestors.dbt.graph_helpers import col, ds


def upstream_columns(store: GraphStore, column: str) -> set[str]:
    return {n.node.id for n in store.neighbours(column, Direction.UPSTREAM, [EdgeKind.COLUMN_FEEDS])}


def test_first_ingest_writes_the_graph(store: GraphStore, shop_project: Path) -> None:
    outcome = ingest_dbt_project(shop_project, store)
    assert outcome.source == "dbt:shop"
    assert outcome.summary.nodes_added == sum(outcome.report.nodes_by_kind.values())
    assert outcome.summary.edges_added == sum(outcome.report.edges_by_kind.values())
    stats = store.stats()
    assert stats.nodes_by_kind["metric"] == 18
    assert stats.edges_by_kind["column_feeds"] == outcome.lineage.column_edges > 100
    assert upstream_columns(store, col("analytics.dim_customers", "full_name")) == {
        col("staging.stg_customers", "first_name"), col("staging.stg_customers", "last_name")
    }
    run = store.current_run()
    assert run is not None and run.source == "dbt:shop" and run.meta["manifest_schema"] == "v12"


def test_unchanged_reingest_reuses_lineage_and_changes_nothing(store: GraphStore, shop_project: Path) -> None:
    first = ingest_dbt_project(shop_project, store)
    second = ingest_dbt_project(shop_project, store)
    assert second.lineage.reused == first.lineage.parsed == 17
    assert second.lineage.parsed == 0
    assert not second.summary.changed
    assert second.lineage.column_edges == first.lineage.column_edges


def test_changed_model_is_reparsed_and_its_old_edges_retired(
    store: GraphStore, shop_project: Path, tmp_path: Path
) -> None:
    ingest_dbt_project(shop_project, store)
    target = tmp_path / "target"
    shutil.copytree(shop_project / "target", target, ignore=shutil.ignore_patterns("compiled", "run", "*.msgpack"))
    path = target / "manifest.json"
    data = json.loads(path.read_text())
    node = data["nodes"]["model.shop.dim_products"]
    node["compiled_code"] = (
        'select product_id, sku, unit_price * 1.2 as unit_price from "shop"."staging"."stg_products"'
    )
    path.write_text(json.dumps(data))

    outcome = ingest_dbt_project(target, store)
    assert outcome.lineage.parsed == 1
    assert outcome.lineage.reused == 16
    price = col("analytics.dim_products", "unit_price")
    (edge,) = [n.edge for n in store.neighbours(price, Direction.UPSTREAM, [EdgeKind.COLUMN_FEEDS])]
    assert edge.props["transformation"] == "derived"
    assert upstream_columns(store, col("analytics.dim_products", "product_name")) == set()
    assert outcome.summary.edges_removed > 0
    products = store.get(ds("analytics.dim_products"))
    assert products is not None and products.props["lineage"] == {
        "status": "parsed", "coverage": "complete", "output_columns": ["product_id", "sku", "unit_price"]
    }


def test_bad_input_writes_nothing(store: GraphStore, tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFoundError):
        ingest_dbt_project(tmp_path / "nowhere", store)
    assert store.current_run() is None
    assert list(store.nodes([NodeKind.MODEL])) == []


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(ingest_dbt)
    return app


def test_cli_prints_a_summary(shop_project: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app(), [str(shop_project), "--home", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    assert "dbt:shop: ingested in" in result.stdout
    assert "17 complete / 0 partial / 1 unknown" in result.stdout


def test_cli_bad_input_is_one_line_and_exit_2(shop_project: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    cut_short = '{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v'
    (target / "manifest.json").write_text(cut_short)
    home = tmp_path / "home"
    result = CliRunner().invoke(cli_app(), [str(target), "--home", str(home)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {target / 'manifest.json'}: is not valid JSON")
    with open_store(load_settings(home=home)) as store:
        assert store.current_run() is None


def test_new_invocation_with_same_sql_reuses_every_model(
    store: GraphStore, shop_project: Path, tmp_path: Path
) -> None:
    first = ingest_dbt_project(shop_project, store)
    target = tmp_path / "target"
    shutil.copytree(shop_project / "target", target, ignore=shutil.ignore_patterns("compiled", "run", "*.msgpack"))
    path = target / "manifest.json"
    data = json.loads(path.read_text())
    data["metadata"]["invocation_id"] = "a-later-dbt-run"
    path.write_text(json.dumps(data))

    again = ingest_dbt_project(target, store)
    assert not again.unchanged
    assert (again.lineage.parsed, again.lineage.reused) == (0, first.lineage.parsed)
    assert not again.summary.changed


def test_identical_artifacts_are_not_parsed_again(store: GraphStore, shop_project: Path) -> None:
    first = ingest_dbt_project(shop_project, store)
    again = ingest_dbt_project(shop_project, store)
    assert again.unchanged
    assert again.report.nodes_by_kind == first.report.nodes_by_kind
    assert len(store.runs(source="dbt:shop")) == 1
