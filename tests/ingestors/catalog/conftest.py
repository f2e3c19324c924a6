"""A small real DuckDB warehouse: two schemas, keys, comments, a view reading across them."""

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from graph_schema.config import load_settings
from graph_schema.store import GraphStore, open_store

SETUP = """
create schema sales;
create schema archive;
create table sales.customers (
    id integer primary key,
    name varchar not null,
    region varchar
);
comment on table sales.customers is 'One row per customer account.';
comment on column sales.customers.region is 'Sales region of the billing address.';
create table sales.orders (
    id integer primary key,
    customer_id integer references sales.customers (id),
    amount decimal(12, 2),
    status varchar
);
create table archive.orders (id integer, amount decimal(12, 2));
create table main."MixedCase" ("Id" integer);
-- unqualified names in a DuckDB view bind in the view's own schema
create view sales.customer_totals as
select c.name, c.region, sum(o.amount) as total
from orders o join customers c on c.id = o.customer_id
where o.status <> 'void'
group by c.name, c.region;
"""


def make_warehouse(path: Path, extra: str = "") -> Path:
    with duckdb.connect(str(path)) as conn:
        conn.execute(SETUP + extra)
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "shopdw.duckdb")


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[GraphStore]:
    """One backend is enough where the backend is not what is tested."""
    with open_store(load_settings(home=tmp_path / "home")) as store:
        yield store
