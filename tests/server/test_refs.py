"""Ref resolution, shared by every tool: ids, qualified names and their tails, short names; ambiguous and
unknown refs list candidates, and only candidates the caller may see."""

from collections.abc import Callable
from pathlib import Path

import pytest

from graph_schema.ids import column_id
from graph_schema.kinds import NodeKind
from server.errors import AmbiguousRefError, NotFoundError
from server.governance.principal import Principal
from server.governed import tool_context
from server.runtime import Runtime
from server.tools.context import ToolContext
from server.tools.refs import resolve_ref
from tests.server.conftest import policy_from
from tests.server.estate import COUNTRY, FCT_ORDERS, RAW_ORDERS, SECRET, STG_ORDERS

SCOPED_POLICY = """
roles:
  local: {tools: [get_asset]}
  scoped:
    tools: [get_asset]
    scope:
      exclude: [{schema: raw}, {name: "secret_*"}]
"""


@pytest.fixture
def contexts(
    graph_runtime: Callable[..., Runtime], write_policy: Callable[[str], Path]
) -> dict[str, ToolContext]:
    runtime = graph_runtime(policy_from(write_policy, SCOPED_POLICY))
    return {role: tool_context(runtime, Principal(name="p", role=role)) for role in ("local", "scoped")}


@pytest.mark.parametrize(
    "ref",
    [STG_ORDERS, "shop.staging.stg_orders", "staging.stg_orders", "stg_orders", "STG_Orders", "  stg_orders "],
)
def test_every_way_of_naming_an_asset(contexts: dict[str, ToolContext], ref: str) -> None:
    assert resolve_ref(contexts["local"], ref).id == STG_ORDERS


def test_a_column_by_its_table_and_name(contexts: dict[str, ToolContext]) -> None:
    assert resolve_ref(contexts["local"], "stg_orders.status").id == column_id(STG_ORDERS, "status")


def test_a_table_wins_over_columns_of_the_same_name(contexts: dict[str, ToolContext]) -> None:
    assert resolve_ref(contexts["local"], "country").id == COUNTRY


def test_an_ambiguous_name_lists_every_candidate(contexts: dict[str, ToolContext]) -> None:
    with pytest.raises(AmbiguousRefError) as caught:
        resolve_ref(contexts["local"], "order_id")
    message = str(caught.value)
    assert message.startswith("[ambiguous_ref] 'order_id' names 2 assets: ")
    assert column_id(STG_ORDERS, "order_id") in message and column_id(FCT_ORDERS, "order_id") in message
    assert message.endswith("pass one of these ids as ref")


def test_an_unknown_name_offers_the_closest(contexts: dict[str, ToolContext]) -> None:
    with pytest.raises(NotFoundError) as caught:
        resolve_ref(contexts["local"], "stg_ordrs")
    message = str(caught.value)
    assert message.startswith("[not_found] no asset matches 'stg_ordrs'; closest: ")
    assert STG_ORDERS in message


def test_nothing_close_says_to_search(contexts: dict[str, ToolContext]) -> None:
    with pytest.raises(NotFoundError, match="no asset matches 'zzzz'; use search_assets to find it"):
        resolve_ref(contexts["local"], "zzzz")


def test_an_unknown_id_is_not_found(contexts: dict[str, ToolContext]) -> None:
    with pytest.raises(NotFoundError):
        resolve_ref(contexts["local"], "dataset:duckdb://shop/shop.nowhere.nothing")


def test_kinds_restrict_what_a_ref_may_name(contexts: dict[str, ToolContext]) -> None:
    assert resolve_ref(contexts["local"], "stg_orders", kinds={NodeKind.MODEL}).id == STG_ORDERS
    with pytest.raises(NotFoundError, match="no dashboard matches 'stg_orders'"):
        resolve_ref(contexts["local"], "stg_orders", kinds={NodeKind.DASHBOARD})


HIDDEN_ID_PARTS = ("dataset:duckdb://shop/shop.raw.", "column:duckdb://shop/shop.raw.", SECRET)


@pytest.mark.parametrize("ref", [RAW_ORDERS, "raw_orders", "shop.raw.raw_orders", "secret_margin", "raw_ordrs"])
def test_assets_outside_the_scope_are_unknown_and_never_offered(contexts: dict[str, ToolContext], ref: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        resolve_ref(contexts["scoped"], ref)
    offered = str(caught.value).replace(repr(ref), "")  # the caller's own words are echoed, nothing else hidden
    assert not any(part in offered for part in HIDDEN_ID_PARTS)


def test_hidden_candidates_do_not_make_a_name_ambiguous(contexts: dict[str, ToolContext]) -> None:
    # `status` is a column of raw_orders (hidden from `scoped`) and of stg_orders.
    with pytest.raises(AmbiguousRefError):
        resolve_ref(contexts["local"], "status")
    assert resolve_ref(contexts["scoped"], "status").id == column_id(STG_ORDERS, "status")
