"""The shop project's model files, and edits of them that proposals make."""

from datagraph.estate import SHOP_DBT_DIR as FIXTURE_PROJECT

MODEL_FILES = {
    "stg_orders": "models/staging/stg_orders.sql",
    "stg_customers": "models/staging/stg_customers.sql",
    "int_orders_enriched": "models/intermediate/int_orders_enriched.sql",
    "int_order_payments": "models/intermediate/int_order_payments.sql",
    "fct_orders": "models/marts/finance/fct_orders.sql",
    "fct_daily_revenue": "models/marts/finance/fct_daily_revenue.sql",
    "dim_customers": "models/marts/core/dim_customers.sql",
}


def model_sql(name: str) -> str:
    return (FIXTURE_PROJECT / MODEL_FILES[name]).read_text(encoding="utf-8")


def edit(name: str, old: str, new: str) -> str:
    """The model's SQL with `old` (which must occur exactly once) replaced by `new`."""
    sql = model_sql(name)
    assert sql.count(old) == 1, f"{old!r} occurs {sql.count(old)} times in {name}"
    return sql.replace(old, new)


def without_shipping_amount() -> str:
    """stg_orders without its last column, shipping_amount (int_orders_enriched reads it)."""
    return edit(
        "stg_orders",
        "    {{ cents_to_dollars('discount_cents') }} as discount_amount,\n"
        "    {{ cents_to_dollars('shipping_cents') }} as shipping_amount\n",
        "    {{ cents_to_dollars('discount_cents') }} as discount_amount\n",
    )
