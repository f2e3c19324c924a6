"""A small hand-made online-shop graph built through the graph models: raw tables, dbt-style models, a
dashboard. Tests build it in milliseconds; it uses the same ids and naming as real ingestion.
"""

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind, Transformation
from graph_schema.models import Edge, Node
from graph_schema.naming import dataset_name

SOURCE = "demo:shop"

# dataset -> (kind, description, owners, {column: type})
_DATASETS: dict[str, tuple[NodeKind, str, tuple[str, ...], dict[str, str]]] = {
    "raw.raw_orders": (NodeKind.SOURCE, "Orders as the shop's backend writes them.", ("platform@shop.example",),
                       {"id": "integer", "customer_id": "integer", "amount": "integer", "status": "varchar"}),
    "raw.raw_customers": (NodeKind.SOURCE, "Customers from the CRM.", ("platform@shop.example",),
                          {"id": "integer", "email": "varchar", "country": "varchar"}),
    "staging.stg_orders": (NodeKind.MODEL, "One row per order, amounts in dollars.", ("analytics@shop.example",),
                           {"order_id": "integer", "customer_id": "integer", "amount_usd": "double", "status": "varchar"}),
    "staging.stg_customers": (NodeKind.MODEL, "One row per customer.", ("analytics@shop.example",),
                              {"customer_id": "integer", "country": "varchar"}),
    "marts.fct_orders": (NodeKind.MODEL, "Completed orders with their customer's country.", ("finance@shop.example",),
                         {"order_id": "integer", "country": "varchar", "revenue": "double"}),
    "marts.revenue_by_country": (NodeKind.MODEL, "Revenue per country.", ("finance@shop.example",),
                                 {"country": "varchar", "total_revenue": "double"}),
}

# (upstream dataset, column) -> (downstream dataset, column, transformation)
_COLUMN_LINEAGE = [
    ("raw.raw_orders", "id", "staging.stg_orders", "order_id", Transformation.RENAMED),
    ("raw.raw_orders", "customer_id", "staging.stg_orders", "customer_id", Transformation.PASSTHROUGH),
    ("raw.raw_orders", "amount", "staging.stg_orders", "amount_usd", Transformation.DERIVED),
    ("raw.raw_orders", "status", "staging.stg_orders", "status", Transformation.PASSTHROUGH),
    ("raw.raw_customers", "id", "staging.stg_customers", "customer_id", Transformation.RENAMED),
    ("raw.raw_customers", "country", "staging.stg_customers", "country", Transformation.PASSTHROUGH),
    ("staging.stg_orders", "order_id", "marts.fct_orders", "order_id", Transformation.PASSTHROUGH),
    ("staging.stg_orders", "amount_usd", "marts.fct_orders", "revenue", Transformation.RENAMED),
    ("staging.stg_customers", "country", "marts.fct_orders", "country", Transformation.PASSTHROUGH),
    ("marts.fct_orders", "country", "marts.revenue_by_country", "country", Transformation.PASSTHROUGH),
    ("marts.fct_orders", "revenue", "marts.revenue_by_country", "total_revenue", Transformation.AGGREGATED),
]


def _id(name: str) -> str:
    return dataset_name("duckdb", "shop", f"shop.{name}").id


def sample_estate() -> tuple[list[Node], list[Edge]]:
    nodes: list[Node] = []
    edges: list[Edge] = []
    for name, (kind, description, owners, columns) in _DATASETS.items():
        ds_id = _id(name)
        nodes.append(Node(id=ds_id, kind=kind, name=name.split(".")[1], qualified_name=f"shop.{name}",
                          description=description, owners=owners))
        for column, data_type in columns.items():
            col = column_id(ds_id, column)
            nodes.append(Node(id=col, kind=NodeKind.COLUMN, name=column, qualified_name=f"shop.{name}.{column}",
                              props={"data_type": data_type}))
            edges.append(Edge(source=ds_id, target=col, kind=EdgeKind.HAS_COLUMN))
    dataset_edges = {(up, down) for up, _, down, _, _ in _COLUMN_LINEAGE}
    edges += [Edge(source=_id(up), target=_id(down), kind=EdgeKind.FEEDS) for up, down in sorted(dataset_edges)]
    edges += [
        Edge(source=column_id(_id(up), uc), target=column_id(_id(down), dc), kind=EdgeKind.COLUMN_FEEDS,
             props={"transformation": t.value, "confidence": 1.0})
        for up, uc, down, dc, t in _COLUMN_LINEAGE
    ]
    dashboard = Node(id="dashboard:demo/revenue-overview", kind=NodeKind.DASHBOARD, name="Revenue overview",
                     description="Revenue by country, for the finance team.", owners=("cfo@shop.example",))
    nodes.append(dashboard)
    edges.append(Edge(source=_id("marts.revenue_by_country"), target=dashboard.id, kind=EdgeKind.FEEDS))
    return nodes, edges
