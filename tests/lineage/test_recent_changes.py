"""recent_changes after a deploy: the shop project re-ingested with one intermediate model's filter changed
and a column dropped from another, on both backends; plus every kind of change on a small hand-made graph."""

from datetime import timedelta
from pathlib import Path

import pytest

from datagraph.estate.build import SHOP_PROJECT
from datagraph.estate.deploy import DEPLOY, FILTER_AFTER, FILTER_BEFORE, rebuilt_copy
from graph_schema.config import Settings
from graph_schema.ids import column_id, make_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.store.base import GraphStore
from ingestors.dbt.ingest import ingest_dbt_project
from server.governed import tool_context
from server.lineage.history import HistoryRequest, recent_changes as history
from server.runtime import build_runtime
from server.tools.names import ToolName
from server.tools.recent_changes import recent_changes
from server.tools.schemas import RecentChangesInput, RecentChangesOutput
from tests.lineage.labels import label

BOTH = {
    ("int_customer_events_unioned", "sql_changed", None),
    ("int_orders_enriched", "sql_changed", None),
    ("int_orders_enriched", "column_removed", "gift_card_amount"),
}
ORDERS_ONLY = {
    ("int_orders_enriched", "sql_changed", None),
    ("int_orders_enriched", "column_removed", "gift_card_amount"),
}


@pytest.fixture(scope="module")
def deployed_project(shop_project: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
                     ) -> Path:
    # the shop build's cache: `datagraph demo`'s test rebuilds the same deploy there
    cache = request.config.cache.mkdir("shop_dbt_build") if request.config.cache is not None else None
    return rebuilt_copy(shop_project, SHOP_PROJECT, DEPLOY, tmp_path_factory.mktemp("deploy"), cache_dir=cache)


def changed(answer: RecentChangesOutput) -> set[tuple[str, str, str | None]]:
    return {(label(c.asset), c.change, c.details.get("column")) for c in answer.changes}  # type: ignore[misc]


def ask(store: GraphStore, home: Path, **arguments: object) -> RecentChangesOutput:
    runtime = build_runtime(Settings(home=home), store=store)
    try:
        ctx = tool_context(runtime, runtime.policy.local_principal("tester"), ToolName.RECENT_CHANGES)
        return recent_changes(ctx, RecentChangesInput.model_validate(arguments))
    finally:
        runtime.close()


def test_a_deploy_is_named_exactly_from_the_metric_and_the_dashboards(
    store: GraphStore, shop_project: Path, deployed_project: Path, tmp_path: Path
) -> None:
    ingest_dbt_project(shop_project, store, workers=1)
    ingest_dbt_project(deployed_project, store, workers=1)
    deploy = store.current_run()
    assert deploy is not None

    for ref, expected in (
        ("visit_to_purchase_conversion", BOTH),
        ("marketing_funnel_dashboard", BOTH),
        ("executive_revenue_dashboard", ORDERS_ONLY),
        ("metric:dbt.shop.net_revenue", ORDERS_ONLY),
    ):
        answer = ask(store, tmp_path, ref=ref)
        assert changed(answer) == expected, ref
        assert {(c.run_id, c.source, c.at) for c in answer.changes} == {(deploy.run_id, "dbt:shop", deploy.started_at)}
        assert any("first ingested" in note for note in answer.notes)

    answer = ask(store, tmp_path, ref="marketing_funnel_dashboard")
    by_change = {(label(c.asset), c.change): c for c in answer.changes}
    sql = by_change[("int_customer_events_unioned", "sql_changed")]
    assert sql.diff is not None
    assert f"-    {FILTER_BEFORE}" in sql.diff.splitlines()
    assert f"+    {FILTER_AFTER}" in sql.diff.splitlines()
    assert sql.details == {"property": "raw_sql", "lines_added": 1, "lines_removed": 1}
    assert sql.distance == 2 and sql.asset_kind == "model"
    dropped = by_change[("int_orders_enriched", "column_removed")]
    assert dropped.details["data_type"] == "DECIMAL(38,2)"
    assert dropped.summary == "int_orders_enriched: column gift_card_amount removed"


def test_scope_and_since_narrow_the_answer(
    store: GraphStore, shop_project: Path, deployed_project: Path, tmp_path: Path
) -> None:
    ingest_dbt_project(shop_project, store, workers=1)
    ingest_dbt_project(deployed_project, store, workers=1)
    deploy = store.current_run()
    assert deploy is not None
    assert changed(ask(store, tmp_path, ref="int_orders_enriched", scope="self")) == ORDERS_ONLY
    assert changed(ask(store, tmp_path, ref="int_customer_events_unioned", scope="self")) == {
        ("int_customer_events_unioned", "sql_changed", None)
    }
    unchanged = ask(store, tmp_path, ref="fct_orders", scope="self")
    assert unchanged.changes == [] and "no changes recorded" in unchanged.notes
    later = ask(store, tmp_path, ref="marketing_funnel_dashboard", since=(deploy.started_at + timedelta(seconds=1)).isoformat())
    assert later.changes == []
    assert changed(ask(store, tmp_path, ref="marketing_funnel_dashboard", since=deploy.started_at.isoformat())) == BOTH


MODEL = "dataset:duckdb://lab/lab.main.orders"
RAW = "dataset:duckdb://lab/lab.raw.orders"
METRIC = make_id("metric", "lab.revenue")
TEST_X = make_id("test", "lab.not_null_orders_x")
TEST_Z = make_id("test", "lab.not_null_orders_z")


def _graph(version: int) -> tuple[list[Node], list[Edge]]:
    """Two runs of one source: the second changes SQL, owners, columns, tests and the metric."""
    sql = "select x, y from raw.orders" if version == 1 else "select cast(x as varchar) as x, z from raw.orders"
    nodes = [
        Node(id=RAW, kind=NodeKind.SOURCE, name="orders", qualified_name="lab.raw.orders"),
        Node(id=MODEL, kind=NodeKind.MODEL, name="orders", qualified_name="lab.main.orders",
             owners=("ana@lab",) if version == 1 else ("ana@lab", "bo@lab"),
             props={"raw_sql": sql, "last_run": {"status": "success", "at": version}}),
        Node(id=column_id(MODEL, "x"), kind=NodeKind.COLUMN, name="x",
             props={"data_type": "integer" if version == 1 else "varchar", "index": version}),
        Node(id=METRIC, kind=NodeKind.METRIC, name="revenue",
             props={"expression": "sum(x)", "filter": None if version == 1 else "{{ Dimension('order__y') }} > 0"}),
        Node(id=TEST_X, kind=NodeKind.TEST, name="not_null_orders_x",
             props={"test_name": "not_null", "last_run": {"status": "pass" if version == 1 else "fail"}}),
    ]
    columns = ["y"] if version == 1 else ["z"]
    nodes += [Node(id=column_id(MODEL, c), kind=NodeKind.COLUMN, name=c, props={"data_type": "integer"}) for c in columns]
    edges = [
        Edge(source=RAW, target=MODEL, kind=EdgeKind.FEEDS),
        Edge(source=MODEL, target=METRIC, kind=EdgeKind.FEEDS),
        Edge(source=TEST_X, target=column_id(MODEL, "x"), kind=EdgeKind.TESTS),
        *(Edge(source=MODEL, target=column_id(MODEL, c), kind=EdgeKind.HAS_COLUMN) for c in ["x", *columns]),
    ]
    if version == 2:
        nodes.append(Node(id=TEST_Z, kind=NodeKind.TEST, name="not_null_orders_z", props={"test_name": "not_null"}))
        edges.append(Edge(source=TEST_Z, target=column_id(MODEL, "z"), kind=EdgeKind.TESTS))
    return nodes, edges


def test_every_kind_of_change_reads_as_a_change(store: GraphStore) -> None:
    for version in (1, 2):
        nodes, edges = _graph(version)
        with store.begin_run("lab:project") as run:
            run.add_nodes(nodes)
            run.add_edges(edges)
    with store.begin_run("lab:other") as run:  # another source's first run: where its history starts
        run.add_nodes([Node(id="dashboard:lab.sales", kind=NodeKind.DASHBOARD, name="sales")])
    metric = store.get(METRIC)
    assert metric is not None
    answer = history(store, HistoryRequest(root=metric))
    found = {(c.asset_name, c.change): c for c in answer.changes}
    assert set(found) == {
        ("revenue", "definition_changed"),
        ("orders", "sql_changed"),
        ("orders", "owners_changed"),
        ("orders", "column_retyped"),
        ("orders", "column_removed"),
        ("orders", "column_added"),
        ("orders", "test_status_changed"),
        ("orders", "test_added"),
    }
    assert found[("revenue", "definition_changed")].details == {
        "filter": {"before": None, "after": "{{ Dimension('order__y') }} > 0"}
    }
    assert found[("orders", "owners_changed")].details["added"] == ["bo@lab"]
    assert found[("orders", "column_retyped")].details == {"column": "x", "before": "integer", "after": "varchar"}
    assert found[("orders", "column_removed")].details["column"] == "y"
    assert found[("orders", "column_added")].details["column"] == "z"
    assert found[("orders", "test_status_changed")].details["after"] == "fail"
    assert found[("orders", "test_added")].details["column"] == "z"
    assert found[("orders", "sql_changed")].diff is not None
    assert "+select cast(x as varchar) as x, z from raw.orders" in found[("orders", "sql_changed")].diff.splitlines()
    # the metric itself first, then its upstream; all from the second run of lab:project
    assert answer.changes[0].asset == METRIC and answer.changes[0].distance == 0
    assert {c.source for c in answer.changes} == {"lab:project"}
