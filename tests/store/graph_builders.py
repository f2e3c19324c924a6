"""Small graphs for the store tests, built from the real models."""

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.naming import dataset_name


def ds(name: str, kind: NodeKind = NodeKind.MODEL, **fields) -> Node:
    dn = dataset_name("duckdb", "shop", f"shop.main.{name}")
    return Node(id=dn.id, kind=kind, name=name, qualified_name=dn.name, **fields)


def col(dataset: Node, name: str, **props) -> Node:
    return Node(id=column_id(dataset.id, name), kind=NodeKind.COLUMN, name=name,
                qualified_name=f"{dataset.qualified_name}.{name}", props=props)


def feeds(a: Node, b: Node, **props) -> Edge:
    return Edge(source=a.id, target=b.id, kind=EdgeKind.FEEDS, props=props)


def diamond() -> tuple[dict[str, Node], list[Edge]]:
    """raw -> stg -> (int_a, int_b) -> mart -> dash ; plus a column chain and an unrelated island."""
    n = {name: ds(name) for name in ("raw", "stg", "int_a", "int_b", "mart", "island")}
    n["raw"] = ds("raw", NodeKind.SOURCE, description="raw orders", aliases=("RAW_ORDERS",))
    n["dash"] = Node(id="dashboard:superset/1", kind=NodeKind.DASHBOARD, name="Revenue", owners=("ana@shop",))
    n["raw.amount"] = col(n["raw"], "amount", data_type="integer")
    n["mart.revenue"] = col(n["mart"], "revenue", data_type="double")
    edges = [
        feeds(n["raw"], n["stg"]),
        feeds(n["stg"], n["int_a"]),
        feeds(n["stg"], n["int_b"]),
        feeds(n["int_a"], n["mart"]),
        feeds(n["int_b"], n["mart"]),
        feeds(n["mart"], n["dash"]),
        Edge(source=n["raw"].id, target=n["raw.amount"].id, kind=EdgeKind.HAS_COLUMN),
        Edge(source=n["mart"].id, target=n["mart.revenue"].id, kind=EdgeKind.HAS_COLUMN),
        Edge(source=n["raw.amount"].id, target=n["mart.revenue"].id, kind=EdgeKind.COLUMN_FEEDS,
             props={"transformation": "aggregated", "confidence": 1.0}),
    ]
    return n, edges
