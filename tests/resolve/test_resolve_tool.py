"""resolve_metric and search_assets through the governed tools: the full definition, and access scopes that
keep metrics out of sight (never suggested, never a candidate, never found)."""

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph_schema.store import GraphStore, open_store
from graph_schema.vector.embeddings import Embedder
from server.feedback.store_sqlite import SqliteFeedbackStore
from server.governance.policy import load_policy
from server.governance.principal import Principal
from server.runtime import Runtime, build_runtime
from server.search.service import SearchService
from server.tools.names import ToolName
from tests.resolve.conftest import Project
from tests.server.calls import call, error_text

POLICY = """
roles:
  local: {tools: [resolve_metric]}
  analyst: {tools: [resolve_metric, search_assets, record_feedback]}
  product:
    tools: [resolve_metric, search_assets]
    scope:
      exclude: [{domain: finance}]
"""
ANALYST = Principal(name="ana", role="analyst")
PRODUCT = Principal(name="pat", role="product")


@pytest.fixture
def make_runtime(embedder: Embedder, tmp_path: Path) -> Iterator[Callable[[Project, GraphStore], Runtime]]:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY)
    made: list[tuple[Runtime, SqliteFeedbackStore]] = []

    def make(project: Project, graph: GraphStore) -> Runtime:
        feedback = SqliteFeedbackStore(tmp_path / f"{project.name}-feedback.sqlite")
        base = build_runtime(project.settings.model_copy(update={"home": tmp_path / project.name}), store=graph,
                             policy=load_policy(policy_file))
        if base.search is not None:
            base.search.close()
        runtime = dataclasses.replace(
            base, search=SearchService(project.settings, embedder=embedder, feedback=feedback)
        )
        made.append((runtime, feedback))
        return runtime

    yield make
    for runtime, feedback in made:
        runtime.close()
        feedback.close()


@pytest.fixture
def saas_runtime(saas: Project, make_runtime: Callable[[Project, GraphStore], Runtime]) -> Iterator[Runtime]:
    with open_store(saas.settings, read_only=True) as graph:
        yield make_runtime(saas, graph)


@pytest.fixture
def shop_runtime(shop: Project, make_runtime: Callable[[Project, GraphStore], Runtime]) -> Iterator[Runtime]:
    with open_store(shop.settings, read_only=True) as graph:
        yield make_runtime(shop, graph)


def resolve(runtime: Runtime, who: Principal, **arguments: object) -> dict:
    answer = call(runtime, ToolName.RESOLVE_METRIC, dict(arguments), who)
    assert isinstance(answer, dict), error_text(answer)
    return answer


def test_the_full_definition(shop_runtime: Runtime) -> None:
    answer = resolve(shop_runtime, ANALYST, question="completed orders per week")
    assert answer["status"] == "resolved"
    metric = answer["metric"]
    assert metric["id"] == "metric:dbt.shop.completed_orders"
    assert (metric["type"], metric["measure"], metric["aggregation"]) == ("simple", "order_count", "sum")
    assert "order__order_status" in metric["filter"]
    assert metric["time_grains"][0] == "day" and "customer__region" in metric["dimensions"]
    assert metric["source_models"] == ["dataset:duckdb://shop/shop.analytics.fct_orders"]
    assert metric["owners"] and metric["certified"] is False
    assert metric["sql_grain"] == "week" and "DATE_TRUNC('WEEK', ordered_at)" in metric["sql"]
    assert "WHERE" in metric["sql"] and metric["sql_dialect"] == "duckdb"


def test_a_deprecated_name_says_it_redirected(shop_runtime: Runtime) -> None:
    answer = resolve(shop_runtime, ANALYST, question="revenue", grain="quarter")
    assert answer["metric"]["name"] == "net_revenue" and answer["metric"]["certified"]
    assert "'revenue' is deprecated" in answer["note"] and answer["metric"]["sql_grain"] == "quarter"


def test_an_ambiguous_answer_says_what_tells_the_candidates_apart(shop_runtime: Runtime) -> None:
    answer = resolve(shop_runtime, ANALYST, question="refunds")
    assert answer["status"] == "ambiguous" and answer["metric"] is None
    reasons = {c["name"]: c["reason"] for c in answer["candidates"]}
    assert set(reasons) == {"refund_rate", "refunded_revenue"}
    assert "type: ratio" in reasons["refund_rate"] and "sum(refunded_amount)" in reasons["refunded_revenue"]


def test_not_found_lists_the_nearest(shop_runtime: Runtime) -> None:
    answer = resolve(shop_runtime, ANALYST, question="employee headcount", limit=2)
    assert answer["status"] == "not_found" and answer["metric"] is None and len(answer["candidates"]) <= 2


def test_a_metric_outside_the_scope_is_never_suggested(saas_runtime: Runtime) -> None:
    finance = {"mrr", "arr", "mrr_invoiced", "churned_mrr", "customer_churn_rate", "paying_customers",
               "billings", "net_revenue_retention", "arpa"}
    assert resolve(saas_runtime, ANALYST, question="MRR")["metric"]["name"] == "mrr"
    for question in ("MRR", "monthly recurring revenue", "churn rate", "legacy mrr", "paying customers", "ARPA"):
        answer = resolve(saas_runtime, PRODUCT, question=question, limit=10)
        named = {c["name"] for c in answer["candidates"]} | ({answer["metric"]["name"]} if answer["metric"] else set())
        assert not named & finance, (question, named)
    found = call(saas_runtime, ToolName.SEARCH_ASSETS, {"query": "recurring revenue", "limit": 50}, PRODUCT)
    assert isinstance(found, dict)
    assert not any(hit["id"].startswith("metric:dbt.saas.") and hit["name"] in finance for hit in found["results"])
    product = resolve(saas_runtime, PRODUCT, question="monthly active users")
    assert product["metric"]["name"] == "monthly_active_users"


def test_search_assets_ranks_every_kind(saas_runtime: Runtime) -> None:
    found = call(saas_runtime, ToolName.SEARCH_ASSETS, {"query": "monthly recurring revenue"}, ANALYST)
    assert isinstance(found, dict)
    assert found["results"][0]["id"] == "metric:dbt.saas.mrr"
    kinds = {hit["kind"] for hit in found["results"]}
    assert {"metric", "measure"} <= kinds
    models = call(saas_runtime, ToolName.SEARCH_ASSETS, {"query": "invoices", "kinds": ["model"]}, ANALYST)
    assert isinstance(models, dict) and models["results"][0]["name"] == "fct_invoices"
    assert "semantic" in models["note"]
