"""Lineage and impact through a BI layer (explore -> field -> chart, dashboard CONTAINS chart), on both backends.

The graph is written by hand in the shape kinds.py gives BI assets, so the answers that reach dashboards do
not wait for a BI ingestor: a warehouse column feeds a model column, which feeds an explore's field, which a
chart reads; the dashboard contains the chart.
"""

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.store import Direction
from graph_schema.store.base import GraphStore
from server.lineage.impact import ImpactRequest, analyse
from server.lineage.trace import TraceRequest, trace
from server.tools.schemas import ChangeSpec

RAW = "dataset:duckdb://bi/bi.raw.orders"
MODEL = "dataset:duckdb://bi/bi.main.orders"
EXPLORE = "explore:looker.shop.orders"
FIELD_TOTAL = "field:looker.shop.orders.total"
FIELD_ID = "field:looker.shop.orders.id"
CHART_REVENUE = "chart:looker.revenue"
CHART_COUNT = "chart:looker.order_count"
SALES = "dashboard:looker.sales"
OPERATIONS = "dashboard:looker.operations"


def col(dataset: str, name: str) -> str:
    return column_id(dataset, name)


def build(store: GraphStore) -> None:
    nodes = [
        Node(id=RAW, kind=NodeKind.SOURCE, name="orders", qualified_name="bi.raw.orders"),
        Node(id=MODEL, kind=NodeKind.MODEL, name="orders", qualified_name="bi.main.orders", owners=("data@bi",),
             props={"lineage": {"status": "parsed", "coverage": "complete"}}),
        Node(id=EXPLORE, kind=NodeKind.EXPLORE, name="orders", owners=("bi@bi",)),
        Node(id=FIELD_TOTAL, kind=NodeKind.FIELD, name="total", props={"explore": EXPLORE}),
        Node(id=FIELD_ID, kind=NodeKind.FIELD, name="id", props={"explore": EXPLORE}),
        Node(id=CHART_REVENUE, kind=NodeKind.CHART, name="Revenue"),
        Node(id=CHART_COUNT, kind=NodeKind.CHART, name="Orders"),
        Node(id=SALES, kind=NodeKind.DASHBOARD, name="Sales", owners=("sales@bi",)),
        Node(id=OPERATIONS, kind=NodeKind.DASHBOARD, name="Operations", owners=("ops@bi",)),
    ]
    for dataset, qualified in ((RAW, "bi.raw.orders"), (MODEL, "bi.main.orders")):
        for name in ("id", "amount" if dataset == RAW else "total"):
            nodes.append(Node(id=col(dataset, name), kind=NodeKind.COLUMN, name=name,
                              qualified_name=f"{qualified}.{name}", props={"data_type": "integer"}))
    edges = [
        Edge(source=RAW, target=MODEL, kind=EdgeKind.FEEDS),
        Edge(source=col(RAW, "amount"), target=col(MODEL, "total"), kind=EdgeKind.COLUMN_FEEDS,
             props={"transformation": "aggregated", "expression": "SUM(orders.amount)", "confidence": 1.0}),
        Edge(source=col(RAW, "id"), target=col(MODEL, "id"), kind=EdgeKind.COLUMN_FEEDS,
             props={"transformation": "passthrough", "confidence": 1.0}),
        Edge(source=MODEL, target=EXPLORE, kind=EdgeKind.FEEDS),
        Edge(source=EXPLORE, target=FIELD_TOTAL, kind=EdgeKind.HAS_FIELD),
        Edge(source=EXPLORE, target=FIELD_ID, kind=EdgeKind.HAS_FIELD),
        Edge(source=col(MODEL, "total"), target=FIELD_TOTAL, kind=EdgeKind.FEEDS, props={"transformation": "passthrough"}),
        Edge(source=col(MODEL, "id"), target=FIELD_ID, kind=EdgeKind.FEEDS, props={"transformation": "passthrough"}),
        Edge(source=FIELD_TOTAL, target=CHART_REVENUE, kind=EdgeKind.FEEDS),
        Edge(source=FIELD_ID, target=CHART_COUNT, kind=EdgeKind.FEEDS),
        Edge(source=SALES, target=CHART_REVENUE, kind=EdgeKind.CONTAINS),
        Edge(source=OPERATIONS, target=CHART_COUNT, kind=EdgeKind.CONTAINS),
        *(Edge(source=d, target=col(d, c), kind=EdgeKind.HAS_COLUMN)
          for d, cs in ((RAW, ("id", "amount")), (MODEL, ("id", "total"))) for c in cs),
    ]
    with store.begin_run("test:bi") as run:
        run.add_nodes(nodes)
        run.add_edges(edges)


def test_a_column_trace_reaches_the_dashboard_through_containment(store: GraphStore) -> None:
    build(store)
    root = store.get(col(RAW, "amount"))
    assert root is not None
    answer = trace(store, TraceRequest(root=root, direction=Direction.DOWNSTREAM, depth=10))
    assert {n.id: n.distance for n in answer.nodes} == {
        col(RAW, "amount"): 0, col(MODEL, "total"): 1, FIELD_TOTAL: 2, CHART_REVENUE: 3, SALES: 4,
    }
    contains = [e for e in answer.edges if e.kind is EdgeKind.CONTAINS]
    assert [(e.source, e.target) for e in contains] == [(SALES, CHART_REVENUE)]


def test_a_dashboard_traces_upstream_to_the_warehouse(store: GraphStore) -> None:
    build(store)
    root = store.get(SALES)
    assert root is not None
    answer = trace(store, TraceRequest(root=root, direction=Direction.UPSTREAM, depth=10))
    assert {n.id: n.distance for n in answer.nodes} == {
        SALES: 0, CHART_REVENUE: -1, FIELD_TOTAL: -2, EXPLORE: -3, MODEL: -4, RAW: -5,
    }


def test_dropping_a_column_breaks_the_field_chart_and_dashboard_that_read_it(store: GraphStore) -> None:
    build(store)
    target, column = store.get(RAW), store.get(col(RAW, "amount"))
    assert target is not None and column is not None
    report = analyse(store, ImpactRequest(target=target, column=column,
                                          change=ChangeSpec(type="drop_column", column="amount")))
    assert {i.id: (i.severity, i.distance) for i in report.impacted} == {
        col(MODEL, "total"): ("breaking", 1),
        MODEL: ("breaking", 1),
        FIELD_TOTAL: ("breaking", 2),
        EXPLORE: ("breaking", 2),
        CHART_REVENUE: ("breaking", 3),
        SALES: ("breaking", 4),
    }
    by_id = {i.id: i for i in report.impacted}
    assert by_id[SALES].path == [col(RAW, "amount"), col(MODEL, "total"), FIELD_TOTAL, CHART_REVENUE, SALES]
    assert by_id[SALES].reason == "contains Revenue, which breaks"
    assert by_id[FIELD_TOTAL].owners == ["bi@bi"]  # a field without owners answers to its explore's
    assert report.notify == ["data@bi", "bi@bi", "sales@bi"]


def test_a_type_change_that_survives_only_puts_the_bi_layer_at_risk(store: GraphStore) -> None:
    build(store)
    target, column = store.get(RAW), store.get(col(RAW, "id"))
    assert target is not None and column is not None
    report = analyse(store, ImpactRequest(target=target, column=column,
                                          change=ChangeSpec(type="change_type", column="id", new_type="varchar")))
    assert {i.id: i.severity for i in report.impacted} == {
        col(MODEL, "id"): "at_risk", MODEL: "at_risk", FIELD_ID: "at_risk", EXPLORE: "at_risk",
        CHART_COUNT: "at_risk", OPERATIONS: "at_risk",
    }
    assert report.summary.breaking == 0
