"""The catalog of a real PostgreSQL: names keep case where PostgreSQL does, views give lineage."""

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy.engine import make_url

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.store import Direction, GraphStore
from ingestors.catalog.ingest import ingest_catalog

pytestmark = pytest.mark.postgres

SETUP = """
create schema sales;
create table sales.customers (id integer primary key, name text not null, region text);
comment on table sales.customers is 'One row per customer account.';
comment on column sales.customers.region is 'Sales region of the billing address.';
create table sales.orders (
    id integer primary key,
    customer_id integer references sales.customers (id),
    amount numeric(12, 2),
    status text
);
create table public."OrderItems" ("OrderId" integer, quantity integer);
create view public.customer_totals as
select c.name, sum(o.amount) as total
from sales.orders o join sales.customers c on c.id = o.customer_id
where o.status <> 'void'
group by c.name;
create materialized view sales.big_orders as select id, amount from sales.orders where amount > 100;
"""


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    name = f"catalog_{uuid4().hex[:12]}"
    admin = make_url(postgres_url)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SETUP)
        yield url
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def test_postgres_catalog(embedded: GraphStore, database_url: str, tmp_path: Path) -> None:
    url = make_url(database_url)
    namespace = f"postgres://{url.host}:{url.port}"
    database = url.database

    def ds(name: str) -> str:
        return f"dataset:{namespace}/{database}.{name}"

    result = ingest_catalog(database_url, embedded)
    assert result.source == f"catalog:{namespace}/{database}"
    customers = embedded.get(ds("sales.customers"))
    assert customers is not None and customers.description == "One row per customer account."
    region = embedded.get(column_id(ds("sales.customers"), "region"))
    assert region is not None and region.description == "Sales region of the billing address."
    key = embedded.get(column_id(ds("sales.orders"), "customer_id"))
    assert key is not None and key.props["foreign_key"] == {"dataset": ds("sales.customers"), "column": "id"}
    # PostgreSQL keeps the case of quoted names, so the id does too
    items = embedded.get(ds("public.OrderItems"))
    assert items is not None and items.name == "OrderItems"
    assert embedded.get(ds("public.orderitems")) is None
    assert embedded.get(column_id(ds("public.OrderItems"), "OrderId")) is not None
    big = embedded.get(ds("sales.big_orders"))
    assert big is not None and big.kind is NodeKind.VIEW and big.props["table_type"] == "materialized_view"
    total = embedded.neighbours(column_id(ds("public.customer_totals"), "total"), Direction.UPSTREAM,
                                [EdgeKind.COLUMN_FEEDS])
    assert [(n.node.id, n.edge.props["transformation"]) for n in total] == [
        (column_id(ds("sales.orders"), "amount"), "aggregated")]
    assert {n.node.id for n in embedded.neighbours(ds("sales.big_orders"), Direction.UPSTREAM, [EdgeKind.FEEDS])} == {
        ds("sales.orders")}
    again = ingest_catalog(database_url, embedded)
    assert not again.summary.changed
