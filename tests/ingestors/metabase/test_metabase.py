"""A Metabase export into the graph: cards over the shop's marts with column lineage, and dashboards."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from graph_schema.store import Direction, GraphStore
from ingestors.metabase.cli import ingest_metabase_command
from ingestors.metabase.config import MetabaseConfig
from ingestors.metabase.errors import MetabaseExportError
from ingestors.metabase.ingest import ingest_metabase

MART = "dataset:duckdb://shop/shop.analytics"
PREFIX = "metabase/metabase.shop.example"


def card(number: int) -> str:
    return f"chart:{PREFIX}/{number}"


def result(number: int, name: str) -> str:
    return f"field:{PREFIX}/{number}/{name}"


def col(table: str, column: str) -> str:
    return column_id(f"{MART}.{table}", column)


def into(store: GraphStore, node: str, kind: EdgeKind) -> dict[str, dict]:
    return {n.node.id: dict(n.edge.props) for n in store.neighbours(node, Direction.UPSTREAM, [kind])}


def test_mbql_question(embedded: GraphStore, export: Path) -> None:
    outcome = ingest_metabase(export, embedded)
    assert outcome.source == "metabase:metabase.shop.example" and outcome.report.warnings == []
    question = embedded.get(card(31))
    assert question is not None and question.kind is NodeKind.CHART and question.props["query_type"] == "query"
    assert set(into(embedded, card(31), EdgeKind.FEEDS)) == {
        f"{MART}.fct_orders", result(31, "sum"), result(31, "ordered_at")}
    assert into(embedded, result(31, "sum"), EdgeKind.COLUMN_FEEDS) == {
        col("fct_orders", "net_amount"): {"transformation": "aggregated", "confidence": 1.0}}
    # bucketed by month: no longer the column's values
    assert into(embedded, result(31, "ordered_at"), EdgeKind.COLUMN_FEEDS)[col("fct_orders", "ordered_at")][
        "transformation"] == "derived"
    shaping = into(embedded, card(31), EdgeKind.COLUMN_SHAPES)
    assert {k: v["role"] for k, v in shaping.items()} == {
        col("fct_orders", "order_status"): "filter", col("fct_orders", "ordered_at"): "group_by"}
    # the table metadata's spelling is kept as an alias of the one dataset node
    assert embedded.get(f"{MART}.fct_orders").aliases == ("analytics.fct_orders",)  # type: ignore[union-attr]


def test_mbql_join_and_named_aggregation(embedded: GraphStore, export: Path) -> None:
    ingest_metabase(export, embedded)
    assert set(into(embedded, result(33, "customer_segment"), EdgeKind.COLUMN_FEEDS)) == {
        col("dim_customers", "customer_segment")}
    assert set(into(embedded, result(33, "revenue"), EdgeKind.COLUMN_FEEDS)) == {col("fct_orders", "net_amount")}
    joins = {k for k, v in into(embedded, card(33), EdgeKind.COLUMN_SHAPES).items() if v["role"] == "join"}
    assert joins == {col("fct_orders", "customer_id"), col("dim_customers", "customer_id")}


def test_native_sql_question(embedded: GraphStore, export: Path) -> None:
    ingest_metabase(export, embedded)
    assert into(embedded, result(32, "revenue"), EdgeKind.COLUMN_FEEDS) == {col("fct_orders", "net_amount"): {
        "transformation": "aggregated", "confidence": 1.0, "expression": "SUM(o.net_amount)"}}
    # the optional [[AND c.region = {{region}}]] clause filters rows whenever the parameter is set
    shaping = into(embedded, card(32), EdgeKind.COLUMN_SHAPES)
    assert shaping[col("dim_customers", "region")]["role"] == "filter"


def test_question_on_a_model_reads_the_models_fields(embedded: GraphStore, export: Path) -> None:
    ingest_metabase(export, embedded)
    model = embedded.get(card(34))
    assert model is not None and model.props["card_type"] == "model"
    assert card(34) in into(embedded, card(35), EdgeKind.FEEDS)
    assert into(embedded, result(35, "ordered_at"), EdgeKind.COLUMN_FEEDS) == {
        result(34, "ordered_at"): {"transformation": "derived", "confidence": 1.0}}
    assert col("fct_orders", "is_refunded") in into(embedded, card(34), EdgeKind.COLUMN_SHAPES)


def test_dashboards_contain_cards_and_archived_cards_stay_out(embedded: GraphStore, export: Path) -> None:
    outcome = ingest_metabase(export, embedded)
    revenue = f"dashboard:{PREFIX}/7"
    shown = {n.node.id for n in embedded.neighbours(revenue, Direction.DOWNSTREAM, [EdgeKind.CONTAINS])}
    assert shown == {card(31), card(32), card(33)}
    feeds = into(embedded, revenue, EdgeKind.FEEDS)
    assert shown <= set(feeds)
    assert feeds[col("dim_customers", "region")] == {"used_as": "filter"}
    weekly = {n.node.id for n in embedded.neighbours(f"dashboard:{PREFIX}/8", Direction.DOWNSTREAM,
                                                     [EdgeKind.CONTAINS])}
    assert weekly == {card(35)}  # from `ordered_cards`, the pre-0.47 name
    assert embedded.get(card(36)) is None and outcome.report.stats["cards_archived_skipped"] == 1


def test_second_ingest_changes_nothing(store: GraphStore, export: Path) -> None:
    assert ingest_metabase(export, store).summary.changed
    assert not ingest_metabase(export, store).summary.changed


def test_unqualified_table_of_two_schemas_is_not_guessed(embedded: GraphStore, export: Path) -> None:
    with embedded.begin_run("test:tables") as run:
        run.add_nodes([Node(id=f"dataset:duckdb://shop/shop.{s}.orders", kind=NodeKind.TABLE, name="orders")
                       for s in ("sales", "archive")])
    data = json.loads(export.read_text())
    data["cards"][3]["dataset_query"]["native"]["query"] = "SELECT order_id FROM orders"
    export.write_text(json.dumps(data))
    outcome = ingest_metabase(export, embedded, MetabaseConfig(instance="mb"))
    ambiguous, downstream = outcome.report.warnings
    assert ambiguous.item == "card 34 (Kept orders)" and "ambiguous" in ambiguous.message
    # the question on that model no longer finds the column it groups by
    assert downstream.item == "card 35 (Kept orders per week)" and "'ordered_at'" in downstream.message
    assert into(embedded, "chart:metabase/mb/34", EdgeKind.FEEDS) == {
        "field:metabase/mb/34/order_id": {"used_as": "result"}}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda text: text.replace('"cards": [', '"cards": [,'), ":34: not valid JSON: Expecting value (column 13)"),
        (lambda text: json.dumps({"cards": [{"id": 1, "name": "x", "dataset_query": {"type": "native"}}]}),
         ": cards[0] (id 1).dataset_query: a native query needs `native` with its `query`"),
        (lambda text: json.dumps({"dashboards": [{"id": "seven", "name": "x"}]}),
         ": dashboards[0] (id seven).id: Input should be a valid integer"),
        (lambda text: json.dumps([1, 2]), ": not a Metabase export"),
    ],
)
def test_malformed_file_is_one_line_and_writes_nothing(
    store: GraphStore, export: Path, mutate: Callable[[str], str], message: str
) -> None:
    export.write_text(mutate(export.read_text()))
    with pytest.raises(MetabaseExportError) as caught:
        ingest_metabase(export, store)
    assert str(caught.value).startswith(f"{export}{message}") and "\n" not in str(caught.value)
    assert store.current_run() is None


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(ingest_metabase_command)
    return app


def test_cli(tmp_path: Path, export: Path) -> None:
    ok = CliRunner().invoke(cli_app(), [str(export), "--home", str(tmp_path / "h")])
    assert ok.exit_code == 0, ok.output
    assert "metabase:metabase.shop.example: ingested in" in ok.stdout
    bad = CliRunner().invoke(cli_app(), [str(export), "--instance", "no spaces", "--home", str(tmp_path / "h2")])
    assert bad.exit_code == 2
    assert bad.stderr.strip().splitlines() == ["error: --instance 'no spaces': use letters, digits and _ . : -"]
