"""propose_change on the real shop project's graph: what the SQL diff changes, what it breaks, which tests it
suggests, and precise errors (with nothing stored) for SQL that cannot be proposed."""

from collections.abc import Callable

import pytest

from server.errors import InvalidArgumentsError, ToolCallError
from server.governance.policy import Policy
from server.proposals.errors import ContractViolationError, InvalidSqlError, NotProposableError, UnknownRefError
from server.proposals.store import ProposalStore
from server.tools.propose_change import propose_change
from server.tools.schemas import ProposeChangeInput, ProposeChangeOutput
from tests.proposals.conftest import ContextFactory
from tests.proposals.sql_edits import edit, model_sql, without_shipping_amount

STG_ORDERS = "dataset:duckdb://shop/shop.staging.stg_orders"
INT_ORDERS = "dataset:duckdb://shop/shop.intermediate.int_orders_enriched"
FCT_ORDERS = "dataset:duckdb://shop/shop.analytics.fct_orders"


def propose(context: ContextFactory, ref: str, new_sql: str, title: str = "a change") -> ProposeChangeOutput:
    return propose_change(context(), ProposeChangeInput(ref=ref, new_sql=new_sql, title=title, rationale="because"))


def test_a_dropped_column_lists_its_breaking_consumers_and_is_stored_for_review(
    context: ContextFactory, home_store: Callable[[], ProposalStore]
) -> None:
    out = propose(context, "stg_orders", without_shipping_amount(), title="Drop shipping_amount")

    assert out.status == "pending_review" and out.target == STG_ORDERS
    assert out.validation.parses and out.validation.errors == []
    assert out.validation.columns_removed == ["shipping_amount"]
    assert out.validation.columns_added == [] and out.validation.columns_retyped == []
    assert [(c.type, c.column) for c in out.changes] == [("drop_column", "shipping_amount")]
    assert out.impact is not None
    breaking = {i.id for i in out.impact.impacted if i.severity == "breaking"}
    assert {INT_ORDERS, FCT_ORDERS, "metric:dbt.shop.revenue"} <= breaking
    assert "finance-data@shop.example" in out.impact.notify
    assert out.diff.startswith("diff --git a/models/staging/stg_orders.sql b/models/staging/stg_orders.sql\n")
    assert "-    {{ cents_to_dollars('shipping_cents') }} as shipping_amount\n" in out.diff

    stored = home_store().get(out.proposal_id)
    assert stored is not None and stored.status == "pending_review"
    assert stored.proposed_by == "ada" and stored.proposed_role == "local"
    assert stored.file_path == "models/staging/stg_orders.sql" and stored.base_sql.startswith("with source as")
    assert stored.validation == out.validation and stored.impact == out.impact
    # the owner rule (when a policy turns it on) knows whose assets break
    assert [g.owners for g in stored.owner_approvals] == [["finance-data@shop.example"]]


def test_a_rename_is_told_apart_from_a_drop_and_runs_rename_impact(context: ContextFactory) -> None:
    out = propose(context, "stg_orders", edit("stg_orders", "order_date as ordered_at", "order_date as order_date"))

    assert [(r.old_name, r.new_name) for r in out.validation.columns_renamed] == [("ordered_at", "order_date")]
    assert out.validation.columns_removed == ["ordered_at"] and out.validation.columns_added == ["order_date"]
    assert [(c.type, c.column, c.new_name) for c in out.changes] == [("rename_column", "ordered_at", "order_date")]
    assert out.impact is not None and out.impact.change.type == "rename_column"
    assert INT_ORDERS in {i.id for i in out.impact.impacted if i.severity == "breaking"}


def test_a_type_change_is_read_from_the_sql(context: ContextFactory) -> None:
    sql = edit("stg_orders", "    customer_id,\n", "    cast(customer_id as varchar) as customer_id,\n")
    out = propose(context, "stg_orders", sql)

    assert [(r.name, r.old_type, r.new_type) for r in out.validation.columns_retyped] == [
        ("customer_id", "INTEGER", "TEXT")
    ]
    assert [(c.type, c.column, c.new_type) for c in out.changes] == [("change_type", "customer_id", "TEXT")]
    assert out.impact is not None and out.impact.summary.at_risk + out.impact.summary.breaking > 0
    # stg_orders.customer_id has tests; the reviewer is told they must change with it
    assert any("customer_id changes type" in v and "not_null" in v for v in out.validation.contract_violations)


def test_a_new_filter_is_a_logic_change_whatever_the_title_says(context: ContextFactory) -> None:
    sql = edit("fct_daily_revenue", "where order_status <> 'placed'",
               "where order_status not in ('placed', 'returned')")
    out = propose(context, "fct_daily_revenue", sql, title="Drop column cumulative_net_revenue")

    assert out.validation.columns_removed == [] and out.validation.columns_added == []
    [logic] = out.validation.logic_changes
    assert logic.kind == "filter"
    assert logic.removed == ["where order_status <> 'placed'"]
    assert logic.added == ["where NOT order_status IN ('placed', 'returned')"]
    assert [(c.type, c.column) for c in out.changes] == [("modify_logic", None)]
    assert out.impact is not None and out.impact.change.type == "modify_logic"
    assert out.impact.summary.breaking == 0 and out.impact.summary.at_risk > 0


def test_changed_joins_and_grouping_and_derivations_are_each_classified(context: ContextFactory) -> None:
    sql = edit("int_orders_enriched", "    left join payments\n", "    inner join payments\n")
    sql = sql.replace("coalesce(payments.amount_paid, 0) as amount_paid", "payments.amount_paid as amount_paid")
    out = propose(context, "int_orders_enriched", sql)

    assert {c.kind for c in out.validation.logic_changes} == {"join"}
    assert out.validation.columns_rederived == ["amount_paid"]
    kinds = [(c.type, c.column) for c in out.changes]
    assert ("modify_logic", "amount_paid") in kinds and ("modify_logic", None) in kinds

    grouped = propose(context, "stg_orders", edit("stg_orders", "from source", "from source\ngroup by all"))
    assert [c.kind for c in grouped.validation.logic_changes] == ["group_by"]


def test_suggested_tests_cover_new_keys_and_columns(context: ContextFactory) -> None:
    sql = edit(
        "stg_orders",
        "    status as order_status,\n",
        "    status as order_status,\n"
        "    case when status in ('returned', 'return_pending') then 'refund' else 'sale' end as order_kind,\n",
    )
    out = propose(context, "stg_orders", sql)
    assert [(s.test, s.column, s.arguments) for s in out.suggested_tests] == [
        ("accepted_values", "order_kind", {"values": ["refund", "sale"]})
    ]

    keyed = propose(context, "int_orders_enriched", edit(
        "int_orders_enriched", "        orders.customer_id,\n",
        "        orders.customer_id,\n"
        "        orders.customer_id as buyer_customer_id,\n"
        "        orders.order_id as id,\n",
    ))
    tests = {(s.test, s.column) for s in keyed.suggested_tests}
    assert {("unique", "id"), ("not_null", "id")} <= tests
    # buyer_customer_id carries stg_orders.customer_id, tested not_null and related to stg_customers
    inherited = {(s.test, s.column): s.arguments for s in keyed.suggested_tests if s.column == "buyer_customer_id"}
    assert ("not_null", "buyer_customer_id") in inherited
    assert inherited[("relationships", "buyer_customer_id")] == {"to": "ref('stg_customers')", "field": "customer_id"}

    renamed = propose(context, "stg_orders",
                      edit("stg_orders", "status as order_status", "status as fulfilment_status"))
    assert [(s.test, s.column) for s in renamed.suggested_tests] == [("accepted_values", "fulfilment_status")]
    assert renamed.suggested_tests[0].arguments["values"] == ["placed", "shipped", "completed", "returned",
                                                              "return_pending"]


def test_a_new_foreign_key_gets_a_relationships_test_to_the_model_it_keys(context: ContextFactory) -> None:
    sql = edit("int_order_payments", "    count(*) as payment_count,\n",
               "    count(*) as payment_count,\n    min(payment_id) as payment_id,\n")
    out = propose(context, "int_order_payments", sql)
    assert [(s.test, s.column, s.arguments) for s in out.suggested_tests] == [
        ("relationships", "payment_id", {"to": "ref('stg_payments')", "field": "payment_id"})
    ]


def _nothing_stored(home_store: Callable[[], ProposalStore]) -> None:
    assert home_store().list() == []


@pytest.mark.parametrize(
    ("name", "sql", "error", "message"),
    [
        (
            "stg_orders",
            edit("stg_orders", "order_date as ordered_at,", "order_date as ordered at,"),
            InvalidSqlError,
            "[invalid_sql] line 10, column 28: SQL does not parse as duckdb: Invalid expression / Unexpected token",
        ),
        (
            "stg_orders",
            edit("stg_orders", "from source", "{% if true %}from source"),
            InvalidSqlError,
            "[invalid_sql] line 14: the Jinja does not parse: Unexpected end of template",
        ),
        (
            "int_orders_enriched",
            edit("int_orders_enriched", "{{ ref('stg_orders') }}", "{{ ref('stg_order') }}"),
            UnknownRefError,
            "[unknown_ref] line 3, column 22: ref('stg_order') names no model, seed or snapshot in the graph; "
            "closest: ref('stg_orders')",
        ),
        (
            "stg_orders",
            edit("stg_orders", "{{ source('raw', 'orders') }}", "{{ source('raw', 'ordres') }}"),
            UnknownRefError,
            "[unknown_ref] line 3, column 22: source('raw', 'ordres') names no source table in the graph; "
            "closest: source('raw', 'orders')",
        ),
        (
            "stg_orders",
            edit("stg_orders", "from source", "from source join main.nowhere n on n.id = source.id"),
            UnknownRefError,
            "[unknown_ref] line 14, column 23: table shop.main.nowhere is not in the graph",
        ),
        (
            "dim_customers",
            edit("dim_customers", "    customers.email,\n", ""),
            ContractViolationError,
            "[contract_violation] the new SQL breaks the enforced contract of dim_customers: column email is in the "
            "enforced contract of dim_customers but the new SQL does not produce it",
        ),
        (
            "dim_customers",
            edit("dim_customers", "    customers.email,\n", "    customers.email,\n    customers.first_name,\n"),
            ContractViolationError,
            "[contract_violation] the new SQL breaks the enforced contract of dim_customers: column first_name is "
            "not in the enforced contract",
        ),
        (
            "dim_customers",
            edit("dim_customers", "    customers.customer_id,\n",
                 "    cast(customers.customer_id as varchar) as customer_id,\n"),
            ContractViolationError,
            "[contract_violation] the new SQL breaks the enforced contract of dim_customers: column customer_id is "
            "INT in the enforced contract of dim_customers; the new SQL makes it TEXT",
        ),
        (
            "fct_orders",
            edit("fct_orders", "where ordered_at >= (select max(ordered_at) from {{ this }})",
                 "where ordered_at >= (select max(ordered_at) from {{ this }}"),
            InvalidSqlError,
            "[invalid_sql] in the is_incremental() branch, ",
        ),
        ("stg_orders", "insert into t select 1", InvalidSqlError, "[invalid_sql] a dbt model's SQL is one SELECT"),
        ("stg_orders", model_sql("stg_orders") + "\n\n", InvalidArgumentsError, "[invalid_arguments] the new SQL is "
         "stg_orders's current SQL"),
        ("customer_rfm_scores", "select 1 as x", NotProposableError, "[invalid_arguments] customer_rfm_scores is a "
         "python model"),
        ("raw_orders", "select 1 as x", NotProposableError, "[invalid_arguments] raw_orders is a seed"),
    ],
    ids=["sql", "jinja", "ref", "source", "table", "contract-drop", "contract-add", "contract-type", "incremental",
         "statement", "unchanged", "python", "seed"],
)
def test_sql_that_cannot_be_proposed_gets_a_precise_error_and_nothing_is_stored(
    context: ContextFactory, home_store: Callable[[], ProposalStore], name: str, sql: str,
    error: type[ToolCallError], message: str,
) -> None:
    with pytest.raises(error) as raised:
        propose(context, name, sql)
    assert str(raised.value).startswith(message), str(raised.value)
    _nothing_stored(home_store)


def test_a_caller_outside_the_scope_of_a_read_asset_cannot_reference_it(
    context: ContextFactory, write_policy: Callable[[str], Policy], home_store: Callable[[], ProposalStore]
) -> None:
    policy = write_policy("""
version: 1
roles:
  staging_only:
    tools: [propose_change]
    scope:
      include: [{schema: staging}]
      exclude: [{name: stg_customers}]
local: {default_role: staging_only}
""")
    sql = edit("stg_orders", "from source", "from source join {{ ref('stg_customers') }} c using (customer_id)")
    ctx = context("ada", policy=policy)
    with pytest.raises(UnknownRefError, match=r"ref\('stg_customers'\) names no model"):
        propose_change(ctx, ProposeChangeInput(ref="stg_orders", new_sql=sql, title="t", rationale="r"))
    _nothing_stored(home_store)
