"""Short, readable labels for graph ids, as the hand-written expectations spell them."""

from urllib.parse import unquote

PROJECT_PREFIX = "dbt.shop."


def label(node_id: str) -> str:
    """`fct_orders` for a dataset, `fct_orders.net_amount` for a column, `metric:net_revenue`,
    `measure:orders.net_revenue` for the dbt semantic layer."""
    prefix, body = node_id.split(":", 1)
    if prefix == "dataset":
        return body.rsplit(".", 1)[-1]
    if prefix == "column":
        table, column = body.rsplit("#", 1)
        return f"{table.rsplit('.', 1)[-1]}.{unquote(column)}"
    return f"{prefix}:{body.removeprefix(PROJECT_PREFIX)}"


def flatten(items: list) -> list[str]:
    """A list whose members may be lists (YAML groups) as one flat list."""
    out: list[str] = []
    for item in items:
        out.extend(flatten(item) if isinstance(item, list) else [item])
    return out
