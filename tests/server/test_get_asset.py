"""get_asset answers from the graph: the contract's fields, masked and scoped for the caller."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph_schema.ids import column_id
from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from graph_schema.store.embedded.store import EmbeddedStore
from server.governance.principal import Principal
from server.runtime import Runtime
from server.tools.names import ToolName
from tests.server.calls import call, error_text
from tests.server.conftest import policy_from
from tests.server.estate import (
    DASHBOARD,
    FCT_ORDERS,
    FCT_TEST,
    NOT_NULL_TEST,
    RAW_CUSTOMERS,
    RAW_ORDERS,
    SECRET,
    STG_ORDERS,
    STG_ORDERS_SQL,
    ds,
)

POLICY = """
roles:
  local: {tools: [get_asset]}
  steward: {tools: [get_asset], pii_clearance: true}
  scoped:
    tools: [get_asset]
    scope:
      exclude: [{schema: raw}, {name: "secret_*"}]
"""


@pytest.fixture
def runtime(graph_runtime: Callable[..., Runtime], write_policy: Callable[[str], Path]) -> Runtime:
    return graph_runtime(policy_from(write_policy, POLICY))


def get(runtime: Runtime, ref: str, role: str = "local") -> dict[str, Any]:
    answer = call(runtime, ToolName.GET_ASSET, {"ref": ref}, Principal(name="p", role=role))
    assert isinstance(answer, dict), error_text(answer)
    return answer


def test_a_model_with_everything_the_contract_names(runtime: Runtime) -> None:
    asset = get(runtime, "stg_orders")
    assert (asset["id"], asset["kind"], asset["name"]) == (STG_ORDERS, "model", "stg_orders")
    assert asset["qualified_name"] == "shop.staging.stg_orders"
    assert asset["description"] == "One row per order, amounts in dollars."
    assert asset["owners"] == ["analytics@shop.example"]
    assert sorted((c["name"], c["data_type"]) for c in asset["columns"]) == [
        ("amount_usd", "double"),
        ("customer_id", "integer"),
        ("order_id", "integer"),
        ("status", "varchar"),
    ]
    assert [u["id"] for u in asset["upstream"]] == [RAW_ORDERS]
    assert [d["id"] for d in asset["downstream"]] == [FCT_ORDERS]
    assert asset["tests"] == [
        {
            "id": NOT_NULL_TEST,
            "name": "not_null_stg_orders_order_id",
            "column": "order_id",
            "test_type": "not_null",
            "status": "pass",
        }
    ]
    assert asset["sources"] == ["catalog:shop", "demo:shop"]
    assert asset["sql"] == STG_ORDERS_SQL
    assert asset["truncated"] is False


def test_columns_follow_the_warehouse_order_when_known(runtime: Runtime) -> None:
    # code and name carry the catalog's position; iso3 has none and comes after them.
    assert [c["name"] for c in get(runtime, "country")["columns"]] == ["code", "name", "iso3"]


def test_dataset_tests_and_every_downstream_reader(runtime: Runtime) -> None:
    asset = get(runtime, FCT_ORDERS)
    assert [(t["id"], t["column"], t["test_type"], t["status"]) for t in asset["tests"]] == [
        (FCT_TEST, None, "singular", "fail")
    ]
    assert [d["id"] for d in asset["downstream"]] == [ds("marts.revenue_by_country"), SECRET]
    assert asset["sql"] is None


def test_a_column_has_column_lineage(runtime: Runtime) -> None:
    asset = get(runtime, "stg_orders.amount_usd")
    assert asset["kind"] == "column"
    assert [u["id"] for u in asset["upstream"]] == [column_id(RAW_ORDERS, "amount")]
    assert [d["id"] for d in asset["downstream"]] == [column_id(FCT_ORDERS, "revenue")]


def test_a_dashboard(runtime: Runtime) -> None:
    asset = get(runtime, "Revenue overview")
    assert asset["id"] == DASHBOARD and asset["owners"] == ["cfo@shop.example"]
    assert [u["name"] for u in asset["upstream"]] == ["revenue_by_country"]


def test_pii_columns_are_masked_without_clearance(runtime: Runtime) -> None:
    def email(role: str) -> dict[str, Any]:
        return next(c for c in get(runtime, RAW_CUSTOMERS, role)["columns"] if c["name"] == "email")

    assert email("local")["description"] == "[masked: pii]"
    assert email("steward")["description"] == "The customer's e-mail address."
    assert email("local")["tags"] == ["pii"]


def ids_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {v for k, v in value.items() if k == "id" and isinstance(v, str)} | set().union(
            *(ids_in(v) for v in value.values())
        )
    if isinstance(value, list):
        return set().union(*(ids_in(v) for v in value)) if value else set()
    return set()


def test_nothing_outside_the_scope_appears(runtime: Runtime) -> None:
    assert get(runtime, "stg_orders", "scoped")["upstream"] == []
    everything = ids_in(get(runtime, FCT_ORDERS, "local"))
    scoped = ids_in(get(runtime, FCT_ORDERS, "scoped"))
    assert SECRET in everything and SECRET not in scoped
    assert scoped == everything - {SECRET}


def test_an_asset_outside_the_scope_is_not_found(runtime: Runtime) -> None:
    result = call(runtime, ToolName.GET_ASSET, {"ref": SECRET}, Principal(name="p", role="scoped"))
    assert error_text(result).startswith("[not_found] no asset matches")
    [*_, entry] = runtime.audit.entries()
    assert (entry.tool, entry.decision, entry.outcome) == ("get_asset", "allowed", "error")


def test_the_store_says_which_sources_assert_a_node(tmp_path: Path) -> None:
    """sources_of, which get_asset's `sources` reads (embedded here; the store's conformance suite is the
    place for every backend)."""
    store = EmbeddedStore(tmp_path / "graph")
    node = Node(id=STG_ORDERS, kind=NodeKind.MODEL, name="stg_orders", qualified_name="shop.staging.stg_orders")
    for source in ("dbt:shop", "catalog:shop"):
        with store.begin_run(source) as run:
            run.add_nodes([node])
    assert store.sources_of([STG_ORDERS, "dataset:duckdb://shop/shop.nowhere.none"]) == {
        STG_ORDERS: ("catalog:shop", "dbt:shop")
    }
    with store.begin_run("dbt:shop") as run:
        run.add_nodes([])
    assert store.sources_of([STG_ORDERS]) == {STG_ORDERS: ("catalog:shop",)}
    store.close()
