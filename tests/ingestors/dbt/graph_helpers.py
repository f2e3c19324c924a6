"""Small lookups over a parse result, so tests read as graph facts."""

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind
from graph_schema.models import Edge
from ingestors.dbt.parser import ParseResult

NAMESPACE = "dataset:duckdb://shop/shop"


def ds(relation: str) -> str:
    """`analytics.dim_customers` -> the dataset id of shop.analytics.dim_customers."""
    return f"{NAMESPACE}.{relation}"


def col(relation: str, column: str) -> str:
    return column_id(ds(relation), column)


def edges_into(graph: ParseResult, target: str, kind: EdgeKind) -> dict[str, Edge]:
    return {e.source: e for e in graph.edges.values() if e.target == target and e.kind is kind}


def edges_from(graph: ParseResult, source: str, kind: EdgeKind) -> dict[str, Edge]:
    return {e.target: e for e in graph.edges.values() if e.source == source and e.kind is kind}
