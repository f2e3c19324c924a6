"""The sample shop estate plus what the server tests need: tests, a PII column, SQL, a second source,
a `country` table whose name its columns share, and a secret model for scope tests."""

from pathlib import Path

from tests.support.small_graph import SOURCE, sample_estate
from graph_schema.config import Settings
from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.naming import dataset_name
from graph_schema.store import open_store

CATALOG_SOURCE = "catalog:shop"


def ds(name: str) -> str:
    """The id of dataset `schema.table` of the sample shop."""
    return dataset_name("duckdb", "shop", f"shop.{name}").id


STG_ORDERS = ds("staging.stg_orders")
FCT_ORDERS = ds("marts.fct_orders")
RAW_ORDERS = ds("raw.raw_orders")
RAW_CUSTOMERS = ds("raw.raw_customers")
COUNTRY = ds("marts.country")
SECRET = ds("marts.secret_margin")
DASHBOARD = "dashboard:demo/revenue-overview"
NOT_NULL_TEST = "test:demo/not_null_stg_orders_order_id"
FCT_TEST = "test:demo/assert_revenue_positive"
STG_ORDERS_SQL = "select id as order_id, customer_id, amount / 100.0 as amount_usd, status from raw.raw_orders"


def _extras(nodes: list[Node]) -> tuple[list[Node], list[Edge]]:
    by_id = {n.id: n for n in nodes}
    email = column_id(RAW_CUSTOMERS, "email")
    replaced = [
        by_id[STG_ORDERS].model_copy(update={"props": {"compiled_sql": STG_ORDERS_SQL, "materialization": "view"}}),
        by_id[email].model_copy(update={"tags": ("pii",), "description": "The customer's e-mail address."}),
    ]
    extra_nodes = [
        Node(id=COUNTRY, kind=NodeKind.MODEL, name="country", qualified_name="shop.marts.country",
             description="One row per country the shop sells to."),
        *(Node(id=column_id(COUNTRY, column), kind=NodeKind.COLUMN, name=column,
               qualified_name=f"shop.marts.country.{column}", props={"data_type": "varchar", **position})
          for column, position in (("code", {"index": 1}), ("iso3", {}), ("name", {"index": 2}))),
        Node(id=SECRET, kind=NodeKind.MODEL, name="secret_margin", qualified_name="shop.marts.secret_margin",
             description="Margin per order, for the board only.", owners=("cfo@shop.example",)),
        Node(id=NOT_NULL_TEST, kind=NodeKind.TEST, name="not_null_stg_orders_order_id",
             props={"test_name": "not_null", "test_type": "generic", "last_run": {"status": "pass"}}),
        Node(id=FCT_TEST, kind=NodeKind.TEST, name="assert_revenue_positive",
             props={"test_type": "singular", "last_run": {"status": "fail"}}),
    ]
    extra_edges = [
        *(Edge(source=COUNTRY, target=column_id(COUNTRY, c), kind=EdgeKind.HAS_COLUMN)
          for c in ("code", "iso3", "name")),
        Edge(source=FCT_ORDERS, target=SECRET, kind=EdgeKind.FEEDS),
        Edge(source=NOT_NULL_TEST, target=column_id(STG_ORDERS, "order_id"), kind=EdgeKind.TESTS),
        Edge(source=FCT_TEST, target=FCT_ORDERS, kind=EdgeKind.TESTS),
    ]
    by_id.update({n.id: n for n in replaced})
    return [*by_id.values(), *extra_nodes], extra_edges


def build_estate(home: Path) -> None:
    """Ingest the estate into the embedded graph under `home`: the shop as `demo:shop`, and the warehouse
    catalog's view of stg_orders (as a table) as a second source."""
    nodes, edges = sample_estate()
    more_nodes, more_edges = _extras(nodes)
    settings = Settings(home=home)
    with open_store(settings) as store:
        with store.begin_run(SOURCE) as run:
            run.add_nodes(more_nodes)
            run.add_edges([*edges, *more_edges])
        with store.begin_run(CATALOG_SOURCE) as run:
            run.add_nodes([Node(id=STG_ORDERS, kind=NodeKind.VIEW, name="stg_orders",
                                qualified_name="shop.staging.stg_orders")])


def add_model(home: Path, name: str, source: str = "demo:late") -> str:
    """Commit one more model in its own run, as another process's ingest would."""
    node = Node(id=ds(f"marts.{name}"), kind=NodeKind.MODEL, name=name, qualified_name=f"shop.marts.{name}",
                description="Added while the server runs.")
    with open_store(Settings(home=home)) as store, store.begin_run(source) as run:
        run.add_nodes([node])
    return node.id
