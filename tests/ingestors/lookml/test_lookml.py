"""A LookML project into the graph: views over the shop's marts, fields with column lineage, explores, tiles."""

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graph_schema.config import load_settings
from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from graph_schema.store import Direction, GraphStore, open_store
from ingestors.lookml.cli import ingest_lookml_command
from ingestors.lookml.config import LookmlConfig
from ingestors.lookml.errors import LookmlError
from ingestors.lookml.ingest import ingest_lookml
from tests.ingestors.lookml.conftest import SHOP_CONNECTION

MART = "dataset:duckdb://shop/shop.analytics"


def view(name: str) -> str:
    return f"semantic_model:lookml/shop_looker/{name}"


def field(view_name: str, name: str) -> str:
    return f"field:lookml/shop_looker/{view_name}/{name}"


def into(store: GraphStore, node: str, kind: EdgeKind) -> dict[str, dict]:
    return {n.node.id: dict(n.edge.props) for n in store.neighbours(node, Direction.UPSTREAM, [kind])}


def test_views_are_semantic_models_over_the_marts(embedded: GraphStore, project: Path) -> None:
    result = ingest_lookml(project, embedded, SHOP_CONNECTION)
    assert result.source == "lookml:shop_looker"
    assert result.report.warnings == []
    orders = embedded.get(view("orders"))
    assert orders is not None and orders.kind is NodeKind.SEMANTIC_MODEL
    assert orders.props["table"] == f"{MART}.fct_orders"
    assert set(into(embedded, view("orders"), EdgeKind.FEEDS)) == {f"{MART}.fct_orders"}
    # a quoted sql_table_name names the same table; the LookML spelling stays as an alias
    daily = embedded.get(f"{MART}.fct_daily_revenue")
    assert daily is not None and daily.aliases == ('"analytics"."fct_daily_revenue"',)
    fields = {n.node.name for n in embedded.neighbours(view("orders"), Direction.DOWNSTREAM, [EdgeKind.HAS_FIELD])}
    assert {"order_id", "ordered", "net_amount", "total_net_revenue", "refund_rate", "count"} <= fields


def test_fields_are_fed_by_the_columns_their_sql_reads(embedded: GraphStore, project: Path) -> None:
    ingest_lookml(project, embedded, SHOP_CONNECTION)
    net = into(embedded, field("orders", "net_amount"), EdgeKind.COLUMN_FEEDS)
    assert net == {column_id(f"{MART}.fct_orders", "net_amount"): {
        "transformation": "passthrough", "confidence": 1.0, "expression": "${TABLE}.net_amount"}}
    total = into(embedded, field("orders", "total_net_revenue"), EdgeKind.COLUMN_FEEDS)
    assert {k: v["transformation"] for k, v in total.items()} == {field("orders", "net_amount"): "aggregated"}
    margin = into(embedded, field("orders", "margin"), EdgeKind.COLUMN_FEEDS)
    assert {k: v["transformation"] for k, v in margin.items()} == {
        column_id(f"{MART}.fct_orders", "gross_margin_amount"): "renamed"}
    rate = into(embedded, field("orders", "refund_rate"), EdgeKind.COLUMN_FEEDS)
    assert set(rate) == {field("orders", "is_refunded"), field("orders", "count")}
    # a dimension without sql is the column of its name
    assert set(into(embedded, field("daily_revenue", "net_revenue"), EdgeKind.COLUMN_FEEDS)) == {
        column_id(f"{MART}.fct_daily_revenue", "net_revenue")}


def test_derived_table_lineage_reaches_the_warehouse(embedded: GraphStore, project: Path) -> None:
    ingest_lookml(project, embedded, SHOP_CONNECTION)
    value = into(embedded, field("customer_channels", "purchase_value"), EdgeKind.COLUMN_FEEDS)
    assert {k: v["transformation"] for k, v in value.items()} == {
        column_id(f"{MART}.fct_customer_events", "activity_value"): "aggregated"}
    assert into(embedded, field("customer_channels", "purchases"), EdgeKind.COLUMN_FEEDS) == {}
    shaping = into(embedded, view("customer_channels"), EdgeKind.COLUMN_SHAPES)
    assert shaping[column_id(f"{MART}.fct_customer_events", "activity_type")]["role"] == "filter"


def test_explores_contain_their_views(embedded: GraphStore, project: Path) -> None:
    ingest_lookml(project, embedded, SHOP_CONNECTION)
    explore = "explore:lookml/shop_looker/shop/customer_channels"
    contained = {n.node.id for n in embedded.neighbours(explore, Direction.DOWNSTREAM, [EdgeKind.CONTAINS])}
    assert contained == {view("customer_channels"), view("customers")}
    joins = into(embedded, explore, EdgeKind.COLUMN_SHAPES)
    assert set(joins) == {field("customer_channels", "customer_id"), field("customers", "customer_id")}


def test_dashboard_tiles_read_fields(embedded: GraphStore, project: Path) -> None:
    ingest_lookml(project, embedded, SHOP_CONNECTION)
    dashboard = "dashboard:lookml/shop_looker/sales_overview"
    tiles = {n.node.name for n in embedded.neighbours(dashboard, Direction.DOWNSTREAM, [EdgeKind.CONTAINS])}
    assert tiles == {"revenue_by_month", "revenue_by_segment", "average_order_value"}  # the text tile reads nothing
    tile = "chart:lookml/shop_looker/sales_overview/revenue_by_month"
    reads = into(embedded, tile, EdgeKind.FEEDS)
    assert reads == {
        "explore:lookml/shop_looker/shop/orders": {},
        field("orders", "ordered"): {"used_as": "field"},  # orders.ordered_month is the `ordered` group
        field("orders", "total_net_revenue"): {"used_as": "field"},
        field("orders", "order_status"): {"used_as": "filter"},
        field("customers", "region"): {"used_as": "filter"},
    }
    assert set(into(embedded, dashboard, EdgeKind.FEEDS)) >= {tile, field("customers", "region")}
    channel_tile = "chart:lookml/shop_looker/channels/purchases_by_channel"
    assert field("customers", "count") in into(embedded, channel_tile, EdgeKind.FEEDS)  # `customer` joins customers


def test_second_ingest_changes_nothing(store: GraphStore, project: Path) -> None:
    assert ingest_lookml(project, store, SHOP_CONNECTION).summary.changed
    assert not ingest_lookml(project, store, SHOP_CONNECTION).summary.changed


def test_without_a_connection_url_views_are_not_linked(embedded: GraphStore, project: Path) -> None:
    result = ingest_lookml(project, embedded, LookmlConfig())
    (warning,) = result.report.warnings
    assert warning.item == "connection shop_warehouse" and "--connection shop_warehouse=URL" in warning.message
    assert into(embedded, view("orders"), EdgeKind.FEEDS) == {}
    assert result.report.nodes_by_kind.get("table") is None


def small_project(tmp_path: Path, views: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "m.model.lkml").write_text('connection: "wh"\ninclude: "*.view.lkml"\nexplore: orders {}\n')
    (root / "orders.view.lkml").write_text(views)
    return root


def test_unqualified_table_of_two_schemas_is_not_guessed(embedded: GraphStore, tmp_path: Path) -> None:
    with embedded.begin_run("test:tables") as run:
        run.add_nodes([Node(id=f"dataset:duckdb://shop/shop.{s}.orders", kind=NodeKind.TABLE, name="orders")
                       for s in ("sales", "archive")])
    root = small_project(tmp_path, "view: orders {\n  sql_table_name: orders ;;\n  dimension: id {}\n}\n")
    result = ingest_lookml(root, embedded, LookmlConfig(default_connection="duckdb:///shop.duckdb"))
    (warning,) = result.report.warnings
    assert warning.item == "view orders" and "ambiguous" in warning.message
    assert into(embedded, "semantic_model:lookml/proj/orders", EdgeKind.FEEDS) == {}


def test_extends_and_refinements_apply(embedded: GraphStore, tmp_path: Path) -> None:
    root = small_project(tmp_path, (
        "view: base { extension: required\n dimension: id { sql: ${TABLE}.order_id ;; } }\n"
        "view: orders { extends: [base]\n sql_table_name: sales.orders ;; }\n"
        "view: +orders { measure: total { type: sum sql: ${TABLE}.amount ;; } }\n"
    ))
    ingest_lookml(root, embedded, LookmlConfig(default_connection="duckdb:///shop.duckdb"))
    assert embedded.get("semantic_model:lookml/proj/base") is None
    assert set(into(embedded, "field:lookml/proj/orders/id", EdgeKind.COLUMN_FEEDS)) == {
        column_id("dataset:duckdb://shop/shop.sales.orders", "order_id")}
    assert embedded.get("field:lookml/proj/orders/total") is not None


def test_native_derived_table_reads_explore_fields(embedded: GraphStore, tmp_path: Path) -> None:
    root = small_project(tmp_path, (
        "view: orders { sql_table_name: sales.orders ;;\n dimension: id { sql: ${TABLE}.order_id ;; } }\n"
        "view: order_facts { derived_table: { explore_source: orders { column: first_id { field: orders.id } } }\n"
        " dimension: first_id { type: number } }\n"
    ))
    result = ingest_lookml(root, embedded, LookmlConfig(default_connection="duckdb:///shop.duckdb"))
    assert result.report.warnings == []
    assert into(embedded, "field:lookml/proj/order_facts/first_id", EdgeKind.COLUMN_FEEDS) == {
        "field:lookml/proj/orders/id": {"transformation": "passthrough", "confidence": 1.0,
                                        "expression": "${TABLE}.first_id"}}


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("views/orders.view.lkml", "view: orders {\n  dimension: id {\n    sql: ${TABLE}.id ;;\n  \n",
         "views/orders.view.lkml:5: not valid LookML: "),
        ("dashboards/sales_overview.dashboard.lookml", "- dashboard: x\n  elements: [\n",
         "dashboards/sales_overview.dashboard.lookml:3: not valid YAML: "),
        ("dashboards/sales_overview.dashboard.lookml", "dashboard: x\n",
         "dashboards/sales_overview.dashboard.lookml: a LookML dashboard file is a list"),
        ("dashboards/sales_overview.dashboard.lookml", "- dashboard: x\n  elements:\n  - title: no name\n",
         "dashboards/sales_overview.dashboard.lookml: dashboard x (entry 1): name: Field required"),
    ],
)
def test_malformed_file_is_one_line_and_writes_nothing(store: GraphStore, project: Path, tmp_path: Path,
                                                       file: str, text: str, message: str) -> None:
    copy = tmp_path / "shop_looker"
    shutil.copytree(project, copy)
    (copy / file).write_text(text)
    with pytest.raises(LookmlError) as caught:
        ingest_lookml(copy, store, SHOP_CONNECTION)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
    assert store.current_run() is None


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(ingest_lookml_command)
    return app


def test_cli(tmp_path: Path, project: Path) -> None:
    home = tmp_path / "home"
    ok = CliRunner().invoke(cli_app(), [str(project), "--connection", "shop_warehouse=duckdb:///shop.duckdb",
                                        "--home", str(home)])
    assert ok.exit_code == 0, ok.output
    assert "lookml:shop_looker: ingested in" in ok.stdout
    with open_store(load_settings(home=home)) as store:
        assert store.get(f"{MART}.fct_orders") is not None
    missing = CliRunner().invoke(cli_app(), [str(tmp_path / "nowhere"), "--home", str(tmp_path / "h2")])
    assert missing.exit_code == 2
    assert missing.stderr.strip().splitlines() == [f"error: {tmp_path / 'nowhere'}: no such LookML project folder"]
    bad_url = CliRunner().invoke(cli_app(), [str(project), "--connection", "shop_warehouse=nonsense",
                                             "--home", str(tmp_path / "h3")])
    assert bad_url.exit_code == 2
    assert bad_url.stderr.strip().splitlines() == [
        "error: 'nonsense' is not a SQLAlchemy URL (dialect://user@host:port/database)"]
    with open_store(load_settings(home=tmp_path / "h3")) as store:
        assert store.current_run() is None
