"""Graph facts the dbt ingestor must get right on the shop project, built with real dbt."""

import pytest

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.sql_lineage import analyze
from ingestors.dbt.artifacts import DbtArtifacts
from ingestors.dbt.parser import ParseResult, parse
from tests.ingestors.dbt.graph_helpers import col, ds, edges_from, edges_into


def test_column_lineage_names_upstream_columns_and_transformations(shop_graph: ParseResult) -> None:
    full_name = edges_into(shop_graph, col("analytics.dim_customers", "full_name"), EdgeKind.COLUMN_FEEDS)
    assert set(full_name) == {col("staging.stg_customers", "first_name"), col("staging.stg_customers", "last_name")}
    assert {e.props["transformation"] for e in full_name.values()} == {"derived"}

    lifetime = edges_into(shop_graph, col("analytics.dim_customers", "lifetime_value"), EdgeKind.COLUMN_FEEDS)
    assert set(lifetime) == {
        col("intermediate.int_orders_enriched", "net_amount"),
        col("intermediate.int_orders_enriched", "is_refunded"),
    }
    assert {e.props["transformation"] for e in lifetime.values()} == {"aggregated"}
    assert "SUM(" in str(lifetime[col("intermediate.int_orders_enriched", "net_amount")].props["expression"])

    renamed = edges_into(shop_graph, col("staging.stg_customers", "customer_id"), EdgeKind.COLUMN_FEEDS)
    assert {k: e.props["transformation"] for k, e in renamed.items()} == {col("raw.raw_customers", "id"): "renamed"}

    numbered = edges_into(shop_graph, col("intermediate.int_orders_enriched", "customer_order_number"),
                          EdgeKind.COLUMN_FEEDS)
    assert {e.props["transformation"] for e in numbered.values()} == {"window"}
    assert col("staging.stg_orders", "customer_id") in numbered


def test_select_star_from_a_staged_model_is_expanded_column_by_column(shop_graph: ParseResult) -> None:
    price = edges_into(shop_graph, col("analytics.dim_products", "unit_price"), EdgeKind.COLUMN_FEEDS)
    assert {k: e.props["transformation"] for k, e in price.items()} == {
        col("staging.stg_products", "unit_price"): "passthrough"
    }
    assert shop_graph.nodes[ds("analytics.dim_products")].props["lineage"]["coverage"] == "complete"


def test_union_all_feeds_one_output_column_from_both_branches(shop_graph: ParseResult) -> None:
    customer = edges_into(shop_graph, col("intermediate.int_customer_events_unioned", "customer_id"),
                          EdgeKind.COLUMN_FEEDS)
    assert set(customer) == {
        col("staging.stg_web_events", "customer_id"),
        col("intermediate.int_orders_enriched", "customer_id"),
    }


def test_join_keys_and_group_by_shape_the_rows_of_the_model(shop_graph: ParseResult) -> None:
    shaping = edges_into(shop_graph, ds("analytics.dim_customers"), EdgeKind.COLUMN_SHAPES)
    assert shaping[col("staging.stg_customers", "customer_id")].props["role"] == "join"
    assert shaping[col("reference.country_codes", "country_code")].props["role"] == "join"
    assert shaping[col("intermediate.int_orders_enriched", "customer_id")].props["role"] == "group_by"


def test_generic_test_is_attached_to_the_column_it_checks(shop_graph: ParseResult) -> None:
    tests = edges_into(shop_graph, col("staging.stg_customers", "country_code"), EdgeKind.TESTS)
    (test_id,) = tests
    test = shop_graph.nodes[test_id]
    assert test.kind is NodeKind.TEST
    assert test.props["test_name"] == "relationships"
    assert test.props["kwargs"] == {
        "column_name": "country_code", "to": "ref('country_codes')", "field": "country_code"
    }
    assert test.props["references"] == [ds("reference.country_codes")]
    assert test.props["last_run"]["status"] == "pass"


def test_singular_and_unit_tests_point_at_their_models(shop_graph: ParseResult) -> None:
    singular = shop_graph.nodes["test:dbt.shop.assert_paid_orders_balance"]
    assert singular.props["test_type"] == "singular"
    assert singular.owners == ("finance-data@shop.example",)
    assert set(edges_from(shop_graph, singular.id, EdgeKind.TESTS)) == {ds("analytics.fct_orders")}
    unit = shop_graph.nodes[
        "test:dbt.unit_test.shop.int_order_items_priced.test_line_amount_is_quantity_times_price"
    ]
    assert unit.props["test_type"] == "unit"
    assert unit.props["last_run"]["status"] == "pass"
    assert set(edges_from(shop_graph, unit.id, EdgeKind.TESTS)) == {ds("intermediate.int_order_items_priced")}


def test_metric_is_linked_to_its_measure_column_and_model(shop_graph: ParseResult) -> None:
    metric_id = "metric:dbt.shop.net_revenue"
    measure_id = "measure:dbt.shop.orders.net_revenue"
    assert set(edges_into(shop_graph, metric_id, EdgeKind.FEEDS)) == {measure_id}
    assert set(edges_into(shop_graph, measure_id, EdgeKind.HAS_FIELD)) == {"semantic_model:dbt.shop.orders"}
    assert set(edges_into(shop_graph, measure_id, EdgeKind.FEEDS)) == {col("analytics.fct_orders", "net_amount")}
    assert set(edges_into(shop_graph, "semantic_model:dbt.shop.orders", EdgeKind.FEEDS)) == {ds("analytics.fct_orders")}
    metric = shop_graph.nodes[metric_id]
    assert metric.props["type"] == "simple"
    assert metric.props["expression"] == "sum(net_amount)"
    assert metric.props["certified"] is True
    assert metric.props["source_models"] == [ds("analytics.fct_orders")]
    assert "customer__region" in metric.props["dimensions"]
    assert metric.props["time_grains"][:3] == ["day", "week", "month"]
    assert {"Net Revenue", "net sales"} <= set(metric.aliases)


def test_every_metric_type_links_to_its_inputs(shop_graph: ParseResult) -> None:
    def inputs(name: str) -> set[str]:
        return set(edges_into(shop_graph, f"metric:dbt.shop.{name}", EdgeKind.FEEDS))

    assert inputs("average_order_value") == {"metric:dbt.shop.net_revenue", "metric:dbt.shop.order_count"}
    assert inputs("gross_margin") == {"metric:dbt.shop.net_revenue", "metric:dbt.shop.cost_of_goods_sold"}
    assert inputs("weekly_active_customers") == {"measure:dbt.shop.customer_events.active_customer_ids"}
    assert inputs("visit_to_purchase_conversion") == {
        "measure:dbt.shop.customer_events.visits",
        "measure:dbt.shop.customer_events.purchases",
    }
    types = {n.name: n.props["type"] for n in shop_graph.nodes.values() if n.kind is NodeKind.METRIC}
    assert set(types.values()) == {"simple", "ratio", "derived", "cumulative", "conversion"}
    refund = shop_graph.nodes["metric:dbt.shop.refund_rate"]
    assert refund.props["expression"] == "refunded_order_count / order_count"
    completed = shop_graph.nodes["metric:dbt.shop.completed_orders"]
    assert completed.props["filter"] == "{{ Dimension('order__order_status') }} = 'completed'"


def test_deprecated_metric_points_at_its_replacement(shop_graph: ParseResult) -> None:
    revenue = shop_graph.nodes["metric:dbt.shop.revenue"]
    assert revenue.props["deprecated"] is True
    assert set(edges_from(shop_graph, revenue.id, EdgeKind.REPLACED_BY)) == {"metric:dbt.shop.net_revenue"}


def test_semantic_fields_are_linked_to_the_columns_they_read(shop_graph: ParseResult) -> None:
    country = edges_into(shop_graph, "dimension:dbt.shop.customers.country", EdgeKind.FEEDS)
    assert {k: e.props["transformation"] for k, e in country.items()} == {
        col("analytics.dim_customers", "country_name"): "renamed"
    }
    visits = edges_into(shop_graph, "measure:dbt.shop.customer_events.visits", EdgeKind.FEEDS)
    assert set(visits) == {
        col("analytics.fct_customer_events", "activity_type"),
        col("analytics.fct_customer_events", "activity_id"),
    }
    assert set(edges_into(shop_graph, "saved_query:dbt.shop.weekly_revenue_by_region", EdgeKind.FEEDS)) == {
        "metric:dbt.shop.net_revenue", "metric:dbt.shop.order_count", "metric:dbt.shop.average_order_value"
    }


def test_owners_resolve_from_meta_group_and_exposure(shop_graph: ParseResult) -> None:
    payments = shop_graph.nodes[ds("intermediate.int_order_payments")]
    assert payments.owners == ("finance-data@shop.example",)
    assert set(edges_from(shop_graph, payments.id, EdgeKind.MEMBER_OF)) == {"group:dbt.shop.finance"}
    customers = shop_graph.nodes[ds("analytics.dim_customers")]
    assert customers.owners == ("customer-insights@shop.example", "analytics-engineering@shop.example")
    dashboard = shop_graph.nodes["exposure:dbt.shop.executive_revenue_dashboard"]
    assert dashboard.owners == ("finance-data@shop.example",)
    assert dashboard.props["exposure_type"] == "dashboard"
    assert set(edges_into(shop_graph, dashboard.id, EdgeKind.FEEDS)) == {
        ds("analytics.fct_orders"), ds("analytics.fct_daily_revenue"), ds("analytics.dim_customers")
    }


def test_seed_and_source_on_one_relation_are_one_node(shop_graph: ParseResult) -> None:
    same = [n for n in shop_graph.nodes.values() if n.qualified_name == "shop.raw.raw_customers"]
    assert len(same) == 1
    (node,) = same
    assert node.kind is NodeKind.SEED
    assert node.props["dbt_unique_ids"] == ["seed.shop.raw_customers", "source.shop.raw.customers"]
    assert "raw.customers" in node.aliases
    assert node.owners == ("platform-team@shop.example",)
    assert node.props["as_source"]["loader"] == "fivetran"
    assert ds("staging.stg_customers") in edges_from(shop_graph, node.id, EdgeKind.FEEDS)
    hook_made = shop_graph.nodes[ds("raw.web_events")]
    assert hook_made.kind is NodeKind.SOURCE


def test_model_props_carry_contract_access_sql_and_run(shop_graph: ParseResult) -> None:
    customers = shop_graph.nodes[ds("analytics.dim_customers")]
    props = customers.props
    assert props["contract"] == {"enforced": True}
    assert props["access"] == "public"
    assert props["materialization"] == "table"
    assert props["file_path"] == "models/marts/core/dim_customers.sql"
    assert "{{ ref('stg_customers') }}" in str(props["raw_sql"])
    assert '"shop"."staging"."stg_customers"' in str(props["compiled_sql"])
    assert props["last_run"]["status"] == "success"
    assert props["lineage"]["status"] == "parsed"
    assert len(str(props["lineage_key"])) == 32
    assert shop_graph.nodes[ds("intermediate.int_order_items_priced")].props["access"] == "private"
    assert shop_graph.nodes[ds("analytics.fct_orders")].props["materialization"] == "incremental"
    email = shop_graph.nodes[col("analytics.dim_customers", "email")]
    assert email.tags == ("pii",)
    assert email.props["data_type"] == "VARCHAR"
    assert email.props["data_type_source"] == "catalog"
    key = shop_graph.nodes[col("analytics.dim_customers", "customer_id")]
    assert [c["type"] for c in key.props["constraints"]] == ["not_null", "primary_key"]


def test_python_model_keeps_dataset_lineage_without_column_lineage(shop_graph: ParseResult) -> None:
    rfm = shop_graph.nodes[ds("analytics.customer_rfm_scores")]
    assert rfm.props["lineage"] == {
        "status": "no_sql", "coverage": "unknown", "reason": "python model: no SQL to analyse"
    }
    assert ds("analytics.fct_orders") in edges_into(shop_graph, rfm.id, EdgeKind.FEEDS)


def test_unparseable_model_is_flagged_and_the_rest_stay_complete(shop_artifacts: DbtArtifacts) -> None:
    broken = shop_artifacts.model_copy(deep=True)
    node = broken.manifest.nodes["model.shop.stg_payments"]
    broken.manifest.nodes["model.shop.stg_payments"] = node.model_copy(
        update={"compiled_code": "select amount from ((( where"}
    )
    graph = parse(broken, analyze)
    payments = graph.nodes[ds("staging.stg_payments")]
    assert payments.props["lineage"]["status"] == "unparsed"
    assert payments.props["lineage"]["coverage"] == "unknown"
    assert "does not parse" in payments.props["lineage"]["reason"]
    assert ds("raw.raw_payments") in edges_into(graph, payments.id, EdgeKind.FEEDS)
    assert not edges_into(graph, col("staging.stg_payments", "amount"), EdgeKind.COLUMN_FEEDS)
    assert [(w.item, w.stage) for w in graph.report.warnings] == [("model.shop.stg_payments", "lineage")]
    assert graph.lineage.coverage == {"complete": 16, "partial": 0, "unknown": 2}
    # downstream of the broken model still gets its own column lineage from the declared columns
    paid = edges_into(graph, col("intermediate.int_order_payments", "amount_paid"), EdgeKind.COLUMN_FEEDS)
    assert set(paid) == {col("staging.stg_payments", "amount")}


def test_every_edge_joins_two_nodes_of_the_result(shop_graph: ParseResult) -> None:
    nodes = shop_graph.nodes
    dangling = [e for e in shop_graph.edges.values() if e.source not in nodes or e.target not in nodes]
    assert dangling == []
    assert shop_graph.report.failures == []


@pytest.mark.parametrize("version", [10, 11])
def test_older_manifest_schemas_parse_alike(shop_artifacts: DbtArtifacts, version: int) -> None:
    older = shop_artifacts.model_copy(deep=True)
    older.manifest.metadata.dbt_schema_version = f"https://schemas.getdbt.com/dbt/manifest/v{version}.json"
    graph = parse(older, analyze)
    assert graph.report.stats["manifest_schema"] == f"v{version}"
    assert len(graph.nodes) > 300


def test_seeds_carry_their_load_result(shop_graph: ParseResult) -> None:
    codes = shop_graph.nodes[ds("reference.country_codes")]
    assert codes.kind is NodeKind.SEED
    assert codes.props["last_run"]["status"] == "success"


def test_a_model_whose_relation_name_has_a_space_gets_an_encoded_id(shop_artifacts: DbtArtifacts) -> None:
    odd = shop_artifacts.model_copy(deep=True)
    node = odd.manifest.nodes["model.shop.dim_products"]
    odd.manifest.nodes["model.shop.dim_products"] = node.model_copy(update={"alias": "dim products"})
    graph = parse(odd, analyze)
    assert graph.report.failures == []
    assert "dataset:duckdb://shop/shop.analytics.dim%20products" in graph.nodes
    assert graph.nodes[ds("analytics.dim_customers")].props["lineage"]["coverage"] == "complete"
    assert not [e for e in graph.edges.values() if e.source not in graph.nodes or e.target not in graph.nodes]