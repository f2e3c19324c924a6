"""PII masking: columns tagged pii lose descriptions and value-bearing props unless the role has clearance."""

from collections.abc import Callable

from graph_schema.models import Node
from server.governance.masking import MASK
from server.governance.policy import load_policy
from server.governance.principal import Principal
from server.runtime import Runtime
from server.tools.context import ToolContext
from server.tools.names import ToolName
from server.tools.schemas import ColumnInfo

EMAIL = Node(
    id="column:duckdb://shop/shop.main.customers#email",
    kind="column",
    name="email",
    qualified_name="shop.main.customers.email",
    description="Customer email, e.g. ann@example.com",
    tags=("pii",),
    props={"data_type": "varchar", "sample_values": ["ann@example.com"], "max": "zed@example.com"},
)
AMOUNT = EMAIL.model_copy(
    update={"id": "column:duckdb://shop/shop.main.customers#amount", "name": "amount", "tags": (), "description": "x"}
)


def test_roles_without_clearance_see_masked_pii() -> None:
    policy = load_policy(None)
    seen = policy.present(Principal(name="a", role="analyst"), EMAIL)
    assert seen.description == MASK
    assert "sample_values" not in seen.props and "max" not in seen.props
    assert seen.props["data_type"] == "varchar"
    assert (seen.id, seen.name) == (EMAIL.id, EMAIL.name)


def test_cleared_roles_and_non_pii_columns_are_untouched() -> None:
    policy = load_policy(None)
    assert policy.present(Principal(name="g", role="governance"), EMAIL) == EMAIL
    assert policy.present(Principal(name="a", role="analyst"), AMOUNT) == AMOUNT


def test_pii_tag_matches_case_insensitively() -> None:
    policy = load_policy(None)
    shouting = EMAIL.model_copy(update={"tags": ("PII",)})
    assert policy.present(Principal(name="a", role="analyst"), shouting).description == MASK


def test_tool_context_masks_for_its_principal(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    column = ColumnInfo(name="email", data_type="varchar", description="the email", tags=["pii"])

    def context(role: str) -> ToolContext:
        return ToolContext(
            principal=Principal(name="p", role=role),
            settings=runtime.settings,
            policy=runtime.policy,
            limits=runtime.policy.limits(ToolName.GET_ASSET),
            audit=runtime.audit,
        )

    assert context("analyst").present_column(column).description == MASK
    assert context("steward").present_column(column) == column
    assert context("analyst").visible_nodes([EMAIL, AMOUNT]) == [context("analyst").present(EMAIL), AMOUNT]
