"""trace_lineage on the shop project, on both backends: expected traces written from the project's SQL."""

from collections.abc import Callable

import pytest

from server.errors import InvalidArgumentsError, NotFoundError
from server.tools.context import ToolContext
from server.tools.names import ToolName
from server.tools.schemas import TraceLineageInput, TraceLineageOutput
from server.tools.trace_lineage import trace_lineage
from tests.lineage.labels import label

MakeContext = Callable[[ToolName], ToolContext]


def trace(make_context: MakeContext, **arguments: object) -> TraceLineageOutput:
    return trace_lineage(make_context(ToolName.TRACE_LINEAGE), TraceLineageInput.model_validate(arguments))


def distances(answer: TraceLineageOutput) -> dict[str, int]:
    return {label(n.id): n.distance for n in answer.nodes}


def test_column_upstream_reaches_the_raw_columns_behind_daily_net_revenue(make_context: MakeContext) -> None:
    answer = trace(make_context, ref="fct_daily_revenue", column="net_revenue", direction="upstream", depth=10)
    # sum(net_amount) <- gross_amount - discount_amount <- sum(quantity * unit_price) <- cents / 100
    assert distances(answer) == {
        "fct_daily_revenue.net_revenue": 0,
        "fct_orders.net_amount": -1,
        "int_orders_enriched.net_amount": -2,
        "int_order_items_priced.line_amount": -3,
        "stg_orders.discount_amount": -3,
        "stg_order_items.quantity": -4,
        "stg_products.unit_price": -4,
        "raw_orders.discount_cents": -4,
        "raw_order_items.quantity": -5,
        "raw_products.price_cents": -5,
    }
    assert answer.grain == "column"
    edges = {(label(e.source), label(e.target)): e for e in answer.edges}
    assert edges[("fct_orders.net_amount", "fct_daily_revenue.net_revenue")].transformation == "aggregated"
    assert edges[("int_orders_enriched.net_amount", "fct_orders.net_amount")].transformation == "passthrough"
    assert edges[("stg_orders.discount_amount", "int_orders_enriched.net_amount")].transformation == "derived"
    assert all(e.confidence == 1.0 for e in answer.edges)
    shaping = {(label(s.column), label(s.dataset)): (s.role, s.distance) for s in answer.row_shaping}
    assert shaping[("fct_orders.order_status", "fct_daily_revenue")] == ("filter", -1)
    assert shaping[("fct_orders.ordered_at", "fct_daily_revenue")] == ("group_by", -1)
    assert shaping[("stg_orders.order_id", "int_orders_enriched")] == ("join", -3)
    assert shaping[("raw_order_items.quantity", "stg_order_items")] == ("filter", -5)
    assert answer.coverage is not None and answer.coverage.status == "complete"


def test_every_reached_node_has_the_edge_that_reached_it(make_context: MakeContext) -> None:
    answer = trace(make_context, ref="fct_daily_revenue", column="net_revenue", depth=10)
    ids = {n.id for n in answer.nodes}
    assert all(e.source in ids and e.target in ids for e in answer.edges)
    assert {e.source for e in answer.edges} == ids - {answer.root}
    assert len(answer.edges) == len(answer.nodes) - 1


def test_column_downstream_reaches_measures_metrics_and_filters(make_context: MakeContext) -> None:
    answer = trace(make_context, ref="raw_orders", column="status", direction="downstream", depth=10)
    assert distances(answer) == {
        "raw_orders.status": 0,
        "stg_orders.order_status": 1,
        "int_orders_enriched.order_status": 2,
        "int_orders_enriched.is_refunded": 2,
        "fct_orders.order_status": 3,
        "fct_orders.is_refunded": 3,
        "fct_orders.refunded_amount": 3,
        "dim_customers.lifetime_value": 3,
        "dim_customers.customer_segment": 3,
        "dimension:orders.order_status": 4,
        "measure:orders.refunded_orders": 4,
        "measure:orders.refunded_revenue": 4,
        "fct_daily_revenue.refunds": 4,
        "fct_customer_events.customer_segment": 4,
        "dimension:customers.customer_segment": 4,
        "metric:refunded_revenue": 5,
    }
    shaping = {(label(s.column), label(s.dataset), s.role, s.distance) for s in answer.row_shaping}
    assert shaping == {
        ("int_orders_enriched.order_status", "int_customer_events_unioned", "filter", 3),
        ("fct_orders.order_status", "fct_daily_revenue", "filter", 4),
    }


def test_dataset_upstream_of_a_metric_crosses_the_semantic_layer(make_context: MakeContext) -> None:
    answer = trace(make_context, ref="average_order_value", depth=10)
    assert answer.grain == "dataset"
    assert distances(answer) == {
        "metric:average_order_value": 0,
        "metric:net_revenue": -1,
        "metric:order_count": -1,
        "measure:orders.net_revenue": -2,
        "measure:orders.order_count": -2,
        "semantic_model:orders": -3,
        "fct_orders": -4,
        "int_orders_enriched": -5,
        "stg_orders": -6,
        "int_order_items_priced": -6,
        "int_order_payments": -6,
        "raw_orders": -7,
        "stg_order_items": -7,
        "stg_products": -7,
        "stg_payments": -7,
        "raw_order_items": -8,
        "raw_products": -8,
        "raw_payments": -8,
    }


def test_both_directions_and_depth(make_context: MakeContext) -> None:
    answer = trace(make_context, ref="fct_orders", direction="both", depth=1)
    assert distances(answer) == {
        "fct_orders": 0,
        "int_orders_enriched": -1,
        "fct_daily_revenue": 1,
        "customer_rfm_scores": 1,
        "semantic_model:orders": 1,
        "exposure:executive_revenue_dashboard": 1,
    }


def test_edge_kinds_narrow_the_walk(make_context: MakeContext) -> None:
    answer = trace(make_context, ref="fct_orders", direction="downstream", depth=3, edge_kinds=["feeds"])
    reached = set(distances(answer))
    assert "semantic_model:orders" in reached and "measure:orders.net_revenue" not in reached
    assert {e.kind.value for e in answer.edges} == {"feeds"}


def test_no_path_is_an_answer(make_context: MakeContext) -> None:
    answer = trace(make_context, ref="raw_orders", direction="upstream")
    assert [label(n.id) for n in answer.nodes] == ["raw_orders"]
    assert answer.edges == []
    assert any(note.startswith("no path: nothing upstream of raw_orders") for note in answer.notes)


def test_coverage_names_the_python_model_on_the_way(make_context: MakeContext) -> None:
    downstream = trace(make_context, ref="fct_orders", direction="downstream", depth=2)
    assert downstream.coverage is not None and downstream.coverage.status == "partial"
    assert [(c.name, c.status) for c in downstream.coverage.incomplete] == [("customer_rfm_scores", "unknown")]
    assert "python" in downstream.coverage.incomplete[0].reason
    upstream = trace(make_context, ref="customer_rfm_scores", column="monetary", direction="upstream")
    assert upstream.coverage is not None and upstream.coverage.status == "unknown"
    assert [label(n.id) for n in upstream.nodes] == ["customer_rfm_scores.monetary"]


def test_mermaid_draws_the_trace(make_context: MakeContext) -> None:
    answer = trace(make_context, ref="int_order_payments", direction="downstream", depth=1, include_mermaid=True)
    assert answer.mermaid is not None
    lines = answer.mermaid.splitlines()
    assert lines[0] == "flowchart LR"
    assert '    n0["int_order_payments<br/><i>model</i>"]' in lines
    assert '    n1["int_orders_enriched<br/><i>model</i>"]' in lines
    assert "    n0 --> n1" in lines
    assert "    class n0 root" in lines


def test_bad_refs_and_columns_are_errors_that_list_candidates(make_context: MakeContext) -> None:
    with pytest.raises(NotFoundError, match="no asset matches 'fct_ordrs'"):
        trace(make_context, ref="fct_ordrs")
    with pytest.raises(NotFoundError, match="fct_orders has no column 'net'; its columns: .*net_amount"):
        trace(make_context, ref="fct_orders", column="net")
    with pytest.raises(InvalidArgumentsError, match="metric, not a dataset"):
        trace(make_context, ref="metric:dbt.shop.net_revenue", column="x")
