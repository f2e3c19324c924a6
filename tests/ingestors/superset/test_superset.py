"""A Superset export into the graph: datasets over the shop's marts, charts reading their fields, dashboards."""

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from graph_schema.store import Direction, GraphStore
from ingestors.superset.cli import ingest_superset_command
from ingestors.superset.errors import SupersetExportError
from ingestors.superset.ingest import ingest_superset
from tests.ingestors.superset.conftest import zip_export

MART = "dataset:duckdb://shop/shop.analytics"
ORDERS = "9a0e6f3e-2b5c-4d1a-8f2e-1c7b5d3a9e11"
SEGMENTS = "4c2d8b7a-6e1f-4a3b-9d5c-2e8f7a1b3c22"
DAILY_CHART = "chart:superset/superset/b1e4c7d2-3a5f-4e6b-8c9d-0f1a2b3c4d31"
SEGMENT_CHART = "chart:superset/superset/c2f5d8e3-4b6a-4f7c-9dae-1a2b3c4d5e42"
STATUS_CHART = "chart:superset/superset/d3a6e9f4-5c7b-4a8d-8ebf-2b3c4d5e6f53"
DASHBOARD = "dashboard:superset/superset/e4b7fa05-6d8c-4b9e-9fc0-3c4d5e6f7a64"


def field(dataset: str, kind: str, name: str) -> str:
    return f"field:superset/superset/{dataset}/{kind}/{name}"


def into(store: GraphStore, node: str, kind: EdgeKind) -> dict[str, dict]:
    return {n.node.id: dict(n.edge.props) for n in store.neighbours(node, Direction.UPSTREAM, [kind])}


def test_physical_dataset_reads_its_table(embedded: GraphStore, export: Path) -> None:
    result = ingest_superset(export, embedded)
    assert result.source == "superset:superset" and result.report.warnings == []
    dataset = embedded.get(f"semantic_model:superset/superset/{ORDERS}")
    assert dataset is not None and dataset.props["kind"] == "physical" and dataset.name == "fct_orders"
    assert set(into(embedded, dataset.id, EdgeKind.FEEDS)) == {f"{MART}.fct_orders"}
    assert embedded.get(f"{MART}.fct_orders").aliases == ("analytics.fct_orders",)  # type: ignore[union-attr]
    assert into(embedded, field(ORDERS, "column", "net_amount"), EdgeKind.COLUMN_FEEDS) == {
        column_id(f"{MART}.fct_orders", "net_amount"): {"transformation": "passthrough", "confidence": 1.0}}
    revenue = into(embedded, field(ORDERS, "metric", "revenue"), EdgeKind.COLUMN_FEEDS)
    assert {k: v["transformation"] for k, v in revenue.items()} == {field(ORDERS, "column", "net_amount"): "aggregated"}
    large = into(embedded, field(ORDERS, "column", "is_large_order"), EdgeKind.COLUMN_FEEDS)
    assert {k: v["transformation"] for k, v in large.items()} == {field(ORDERS, "column", "net_amount"): "derived"}


def test_virtual_dataset_sql_gives_lineage(embedded: GraphStore, export: Path) -> None:
    ingest_superset(export, embedded)
    dataset = f"semantic_model:superset/superset/{SEGMENTS}"
    assert set(into(embedded, dataset, EdgeKind.FEEDS)) == {f"{MART}.fct_orders", f"{MART}.dim_customers"}
    assert set(into(embedded, field(SEGMENTS, "column", "customer_segment"), EdgeKind.COLUMN_FEEDS)) == {
        column_id(f"{MART}.dim_customers", "customer_segment")}
    shaping = into(embedded, dataset, EdgeKind.COLUMN_SHAPES)
    assert shaping[column_id(f"{MART}.fct_orders", "order_status")]["role"] == "filter"
    assert shaping[column_id(f"{MART}.fct_orders", "customer_id")]["role"] == "join"


def test_charts_read_metrics_columns_and_filters(embedded: GraphStore, export: Path) -> None:
    ingest_superset(export, embedded)
    assert into(embedded, DAILY_CHART, EdgeKind.FEEDS) == {
        f"semantic_model:superset/superset/{ORDERS}": {},
        field(ORDERS, "metric", "revenue"): {"used_as": "metric"},
        field(ORDERS, "column", "ordered_at"): {"used_as": "dimension"},
        field(ORDERS, "column", "order_status"): {"used_as": "filter"},
    }
    # an ad-hoc metric over a column, and an ad-hoc SQL metric
    assert into(embedded, SEGMENT_CHART, EdgeKind.FEEDS)[field(SEGMENTS, "column", "net_amount")] == {
        "used_as": "metric", "aggregate": "SUM"}
    status = into(embedded, STATUS_CHART, EdgeKind.FEEDS)
    assert status[field(ORDERS, "column", "order_id")]["expression"] == "COUNT(DISTINCT order_id)"
    assert status[field(ORDERS, "column", "is_large_order")]["used_as"] == "filter"


def test_dashboard_contains_charts_and_filters_on_a_column(embedded: GraphStore, export: Path) -> None:
    ingest_superset(export, embedded)
    dashboard = embedded.get(DASHBOARD)
    assert dashboard is not None and dashboard.kind is NodeKind.DASHBOARD and dashboard.aliases == ("sales-overview",)
    charts = {n.node.id for n in embedded.neighbours(DASHBOARD, Direction.DOWNSTREAM, [EdgeKind.CONTAINS])}
    assert charts == {DAILY_CHART, SEGMENT_CHART, STATUS_CHART}
    feeds = into(embedded, DASHBOARD, EdgeKind.FEEDS)
    assert charts <= set(feeds)
    assert feeds[field(ORDERS, "column", "order_status")] == {"used_as": "filter"}


def test_zip_and_folder_give_the_same_graph(embedded: GraphStore, export: Path, tmp_path: Path) -> None:
    ingest_superset(export, embedded)
    folder = {n.id: n for n in embedded.nodes()}
    again = ingest_superset(zip_export(export, tmp_path / "export.zip"), embedded)
    assert not again.summary.changed
    assert {n.id: n for n in embedded.nodes()} == folder


def test_second_ingest_changes_nothing(store: GraphStore, export: Path) -> None:
    assert ingest_superset(export, store).summary.changed
    assert not ingest_superset(export, store).summary.changed


def test_dataset_without_schema_of_two_schemas_is_not_guessed(embedded: GraphStore, export: Path) -> None:
    with embedded.begin_run("test:tables") as run:
        run.add_nodes([Node(id=f"dataset:duckdb://shop/shop.{s}.fct_orders", kind=NodeKind.TABLE, name="fct_orders")
                       for s in ("analytics", "archive")])
    path = export / "datasets" / "Shop_Warehouse" / "fct_orders.yaml"
    path.write_text(path.read_text().replace("schema: analytics", "schema: null"))
    result = ingest_superset(export, embedded)
    assert [w.item for w in result.report.warnings] == ["dataset fct_orders"]
    assert "ambiguous" in result.report.warnings[0].message
    assert into(embedded, f"semantic_model:superset/superset/{ORDERS}", EdgeKind.FEEDS) == {}


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("charts/Net_revenue_by_day_1.yaml", "slice_name: x\nparams: [\n", "charts/Net_revenue_by_day_1.yaml:3: "
                                                                             "not valid YAML: "),
        ("datasets/Shop_Warehouse/fct_orders.yaml", f"table_name: fct_orders\nuuid: {ORDERS}\n",
         "datasets/Shop_Warehouse/fct_orders.yaml: database_uuid: Field required"),
        ("dashboards/Sales_overview_1.yaml", "- a list\n",
         "dashboards/Sales_overview_1.yaml: expected a mapping of fields, found list"),
    ],
)
def test_malformed_file_is_one_line_and_writes_nothing(store: GraphStore, export: Path, file: str, text: str,
                                                       message: str) -> None:
    (export / file).write_text(text)
    with pytest.raises(SupersetExportError) as caught:
        ingest_superset(export, store)
    assert str(caught.value) .startswith(f"{export}/{message}") and "\n" not in str(caught.value)
    assert store.current_run() is None


def test_zip_fault_names_the_member(embedded: GraphStore, export: Path, tmp_path: Path) -> None:
    (export / "charts" / "Net_revenue_by_day_1.yaml").write_text("slice_name: x\nuuid: [\n")
    archive = zip_export(export, tmp_path / "export.zip")
    with pytest.raises(SupersetExportError) as caught:
        ingest_superset(archive, embedded)
    assert str(caught.value).startswith(
        f"{archive}:dashboard_export_20240603T090000/charts/Net_revenue_by_day_1.yaml:3: not valid YAML")


def test_not_an_export(embedded: GraphStore, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SupersetExportError, match="no metadata.yaml: not a Superset export"):
        ingest_superset(tmp_path / "empty", embedded)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SupersetExportError, match="not a zip file or a folder"):
        ingest_superset(tmp_path / "notes.txt", embedded)


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(ingest_superset_command)
    return app


def test_cli(tmp_path: Path, export: Path) -> None:
    ok = CliRunner().invoke(cli_app(), [str(export), "--instance", "bi-prod", "--home", str(tmp_path / "h")])
    assert ok.exit_code == 0, ok.output
    assert "superset:bi-prod: ingested in" in ok.stdout
    bad = CliRunner().invoke(cli_app(), [str(tmp_path / "nothing.zip"), "--home", str(tmp_path / "h2")])
    assert bad.exit_code == 2
    assert bad.stderr.strip().splitlines() == [f"error: {tmp_path / 'nothing.zip'}: no such file or folder"]
