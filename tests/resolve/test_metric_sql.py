"""The SQL generated for each fixture metric runs on the DuckDB database its dbt build produced; what cannot
be generated soundly is refused with a reason instead."""

import duckdb
import pytest
import sqlglot

from graph_schema.kinds import NodeKind
from graph_schema.store import open_store
from server.search.definition import SemanticLayer, build_semantic_layer
from server.search.sql import metric_sql
from tests.resolve.conftest import Project

# Metrics whose SQL cannot be derived soundly from the definition alone, and the reason given.
NOT_GENERATED = {
    ("shop", "net_revenue_growth_mom"): "offset by",
    ("shop", "weekly_active_customers"): "trailing-window",
    ("shop", "visit_to_purchase_conversion"): "conversion",
    ("saas", "weekly_active_users"): "trailing-window",
    ("saas", "monthly_active_users"): "trailing-window",
    ("saas", "net_revenue_retention"): "offset by",
    ("saas", "customer_churn_rate"): "semantic models",
    ("saas", "revenue_churn_rate"): "semantic models",
}


def layer_of(project: Project) -> SemanticLayer:
    with open_store(project.settings, read_only=True) as store:
        return build_semantic_layer(store)


@pytest.mark.parametrize("name", ["shop", "saas"])
def test_generated_sql_runs_and_returns_rows(projects: dict[str, Project], name: str) -> None:
    project = projects[name]
    layer = layer_of(project)
    metrics = [n for n in layer.nodes.values() if n.kind is NodeKind.METRIC]
    ran = 0
    with duckdb.connect(str(project.database), read_only=True) as con:
        for metric in metrics:
            grains = [g for g in metric.props["time_grains"] if g in ("day", "month", "quarter")]
            for grain in grains:
                generated = metric_sql(metric, layer, grain)
                expected_refusal = NOT_GENERATED.get((name, metric.name))
                if expected_refusal is not None:
                    assert generated.sql is None and expected_refusal in (generated.note or ""), generated
                    continue
                if generated.sql is None:
                    # refused only at a grain coarser than the definition allows: a balance summed across its
                    # snapshots, a to-date total across its reset period
                    note = generated.note or ""
                    assert "non-additive" in note or "accumulates within each" in note, (metric.name, grain, note)
                    continue
                assert generated.grain == grain and generated.dialect == "duckdb"
                sqlglot.parse_one(generated.sql, read="duckdb")
                rows = con.sql(generated.sql).fetchall()
                assert rows, f"{metric.name} at {grain} returned no rows"
                assert all(row[0] is not None for row in rows)
                ran += 1
    assert ran >= 40


def test_simple_metric_sql_has_the_expected_shape(shop: Project) -> None:
    layer = layer_of(shop)
    completed = layer.metric("completed_orders")
    assert completed is not None
    sql = metric_sql(completed, layer, "week").sql
    assert sql is not None
    tree = sqlglot.parse_one(sql, read="duckdb")
    assert tree.sql(dialect="duckdb") == (
        "SELECT DATE_TRUNC('WEEK', ordered_at) AS metric_time, SUM(1) AS completed_orders "
        "FROM \"shop\".\"analytics\".\"fct_orders\" WHERE order_status = 'completed' GROUP BY 1 ORDER BY 1"
    )


def test_sql_values_match_a_hand_written_query(shop: Project, saas: Project) -> None:
    layer = layer_of(shop)
    aov = metric_sql(layer.metric("average_order_value"), layer, "month").sql  # type: ignore[arg-type]
    with duckdb.connect(str(shop.database), read_only=True) as con:
        generated = dict(con.sql(aov).fetchall())
        by_hand = dict(con.sql(
            "select date_trunc('month', ordered_at), sum(net_amount) / count(*) "
            "from shop.analytics.fct_orders group by 1"
        ).fetchall())
    assert generated.keys() == by_hand.keys()
    assert all(abs(float(generated[k]) - float(by_hand[k])) < 1e-6 for k in by_hand)
    saas_layer = layer_of(saas)
    cash = metric_sql(saas_layer.metric("cash_collected"), saas_layer, "month").sql  # type: ignore[arg-type]
    with duckdb.connect(str(saas.database), read_only=True) as con:
        total = sum(v for _, v in con.sql(cash).fetchall())
        [(paid,)] = con.sql(
            "select sum(amount) from saas.main_analytics.fct_invoices where invoice_status = 'paid'"
        ).fetchall()
    assert total == pytest.approx(paid)


def test_a_balance_is_not_summed_across_periods(saas: Project) -> None:
    layer = layer_of(saas)
    mrr = layer.metric("mrr")
    assert mrr is not None
    assert metric_sql(mrr, layer, "month").sql is not None
    quarterly = metric_sql(mrr, layer, "quarter")
    assert quarterly.sql is None and "non-additive over month_start" in (quarterly.note or "")


def test_a_grain_the_metric_lacks_falls_back_to_its_finest(saas: Project) -> None:
    layer = layer_of(saas)
    generated = metric_sql(layer.metric("arr"), layer, "day")  # type: ignore[arg-type]
    assert generated.grain == "month" and generated.sql is not None
