"""BI SQL lineage lands on the datasets every source names, through the tool's connection."""

from graph_schema.naming import dataset_name
from ingestors.common.report import IngestReport
from ingestors.identity.builder import GraphBuilder
from ingestors.identity.resolver import EmptyCatalogue, TableResolver
from ingestors.identity.sql import sql_lineage
from ingestors.identity.warehouse import warehouse_from_url


def ds(name: str) -> str:
    return dataset_name("duckdb", "shop", f"shop.{name}").id


def setup() -> tuple[TableResolver, GraphBuilder, IngestReport]:
    report = IngestReport(source="test")
    res = TableResolver(warehouse_from_url("duckdb:///shop.duckdb"), EmptyCatalogue(), report)
    for name in ("sales.orders", "archive.orders", "analytics.customers"):
        res.know(dataset_name("duckdb", "shop", f"shop.{name}"))
    return res, GraphBuilder(report, EmptyCatalogue()), report


def test_columns_map_to_resolved_datasets_with_aliases_kept() -> None:
    res, builder, report = setup()
    lineage = sql_lineage(
        "WITH customers AS (SELECT * FROM customers) "
        "SELECT c.region, SUM(o.amount) AS revenue FROM sales.orders o JOIN customers c ON c.id = o.customer_id "
        "GROUP BY 1",
        res, builder, "card 1", report,
    )
    assert lineage is not None
    assert set(lineage.tables) == {ds("sales.orders"), ds("analytics.customers")}
    (revenue,) = lineage.columns["revenue"]
    assert (revenue.dataset_id, revenue.column, revenue.transformation) == (ds("sales.orders"), "amount", "aggregated")
    assert builder.nodes[ds("analytics.customers")].aliases == ("customers",)
    assert builder.nodes[ds("sales.orders")].aliases == ("sales.orders",)
    assert report.warnings == []


def test_ambiguous_table_in_sql_gets_no_edge() -> None:
    res, builder, report = setup()
    lineage = sql_lineage("SELECT amount FROM orders", res, builder, "card 2", report)
    assert lineage is not None and lineage.partial
    assert lineage.tables == [] and lineage.columns == {"amount": []}
    assert not any(node.startswith("dataset:") for node in builder.nodes)
    assert "ambiguous" in report.warnings[0].message


def test_sql_that_does_not_parse_is_reported() -> None:
    res, builder, report = setup()
    assert sql_lineage("SELECT FROM WHERE (", res, builder, "card 3", report) is None
    assert report.warnings[0].item == "card 3" and report.warnings[0].stage == "lineage"
