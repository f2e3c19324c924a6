"""search_assets: lexical ranking over the graph, kinds, scope and masking, and pages with cursors."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph_schema.config import Settings
from graph_schema.ids import column_id
from graph_schema.store import open_store
from server.governance.principal import Principal
from server.runtime import Runtime, build_runtime
from server.tools.names import ToolName
from tests.server.calls import call, error_text
from tests.server.conftest import policy_from
from tests.server.estate import DASHBOARD, RAW_CUSTOMERS, SECRET, STG_ORDERS, add_model, build_estate, ds

POLICY = """
roles:
  local: {tools: [search_assets]}
  steward: {tools: [search_assets], pii_clearance: true}
  scoped:
    tools: [search_assets]
    scope:
      exclude: [{schema: raw}, {name: "secret_*"}]
limits:
  search_assets: {max_results: 50}
"""


@pytest.fixture
def runtime(graph_runtime: Callable[..., Runtime], write_policy: Callable[[str], Path]) -> Runtime:
    return graph_runtime(policy_from(write_policy, POLICY))


def search(runtime: Runtime, role: str = "local", **arguments: Any) -> dict[str, Any]:
    answer = call(runtime, ToolName.SEARCH_ASSETS, arguments, Principal(name="p", role=role))
    assert isinstance(answer, dict), error_text(answer)
    return answer


def ids(answer: dict[str, Any]) -> list[str]:
    return [hit["id"] for hit in answer["results"]]


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("stg_orders", STG_ORDERS),
        ("shop.staging.stg_orders", STG_ORDERS),
        ("staging.stg_orders", STG_ORDERS),
        ("revenue by country", ds("marts.revenue_by_country")),
        ("revnue_by_country", ds("marts.revenue_by_country")),
        ("customers from the crm", RAW_CUSTOMERS),
        ("Revenue overview", DASHBOARD),
    ],
)
def test_the_best_match_comes_first(runtime: Runtime, query: str, best: str) -> None:
    answer = search(runtime, query=query)
    assert ids(answer)[0] == best
    scores = [hit["score"] for hit in answer["results"]]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)


def test_an_exact_name_scores_one(runtime: Runtime) -> None:
    [top, *_] = search(runtime, query="STG_ORDERS")["results"]
    assert top == {
        "id": STG_ORDERS,
        "kind": "model",
        "name": "stg_orders",
        "qualified_name": "shop.staging.stg_orders",
        "description": "One row per order, amounts in dollars.",
        "score": 1.0,
    }


def test_the_answer_says_how_it_ranked(runtime: Runtime) -> None:
    assert "lexical" in search(runtime, query="orders")["note"]


def test_nothing_matches(runtime: Runtime) -> None:
    answer = search(runtime, query="qqqxxyz")
    assert answer["results"] == [] and answer["next_cursor"] is None


def test_kinds_filter(runtime: Runtime) -> None:
    answer = search(runtime, query="orders", kinds=["column"], limit=50)
    assert answer["results"] and {hit["kind"] for hit in answer["results"]} == {"column"}
    assert {h["kind"] for h in search(runtime, query="orders", kinds=["model", "source"])["results"]} <= {
        "model",
        "source",
    }


def test_scope_hides_assets(runtime: Runtime) -> None:
    everything = ids(search(runtime, query="margin orders raw", limit=50))
    scoped = ids(search(runtime, "scoped", query="margin orders raw", limit=50))
    assert SECRET in everything and ds("raw.raw_orders") in everything
    assert SECRET not in scoped and not any("/shop.raw." in i for i in scoped)
    assert scoped == [i for i in everything if i != SECRET and "/shop.raw." not in i]


def test_a_masked_description_is_not_searched(runtime: Runtime) -> None:
    email = column_id(RAW_CUSTOMERS, "email")
    assert email in ids(search(runtime, "steward", query="address"))
    assert email not in ids(search(runtime, "local", query="address"))


def test_pages_follow_each_other(runtime: Runtime) -> None:
    whole = search(runtime, query="orders", limit=50)
    assert whole["next_cursor"] is None and len(whole["results"]) > 5
    pages: list[str] = []
    arguments: dict[str, Any] = {"query": "orders", "limit": 2}
    while True:
        page = search(runtime, **arguments)
        pages += ids(page)
        assert len(page["results"]) <= 2
        if page["next_cursor"] is None:
            assert not page["truncated"]
            break
        assert page["truncated"] and "pass next_cursor for more" in page["truncation_note"]
        arguments["cursor"] = page["next_cursor"]
    assert pages == ids(whole)


def test_a_cursor_is_bound_to_its_question(runtime: Runtime) -> None:
    cursor = search(runtime, query="orders", limit=2)["next_cursor"]
    moved = call(runtime, ToolName.SEARCH_ASSETS, {"query": "customers", "cursor": cursor})
    assert error_text(moved).startswith("[invalid_arguments] cursor belongs to other arguments")
    forged = call(runtime, ToolName.SEARCH_ASSETS, {"query": "orders", "cursor": "not-a-cursor"})
    assert error_text(forged).startswith("[invalid_arguments] cursor 'not-a-cursor' is not one this server issued")


def test_a_cursor_dies_with_its_snapshot(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_estate(home)
    settings = Settings(home=home)
    with open_store(settings, read_only=True) as store:
        runtime = build_runtime(settings, store=store)
        cursor = search(runtime, query="orders", limit=2)["next_cursor"]
        add_model(home, "orders_late")
        stale = call(runtime, ToolName.SEARCH_ASSETS, {"query": "orders", "limit": 2, "cursor": cursor})
        assert "older snapshot of the graph" in error_text(stale)
        assert ds("marts.orders_late") in ids(search(runtime, query="orders_late"))
        runtime.close()


def test_the_policy_caps_the_page_size(runtime: Runtime) -> None:
    result = call(runtime, ToolName.SEARCH_ASSETS, {"query": "orders", "limit": 51})
    assert error_text(result) == (
        "[limit_exceeded] limit 51 is above max_results 50 for 'search_assets'; ask for at most 50"
    )
