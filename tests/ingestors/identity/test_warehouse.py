"""Connections of every tool become the namespace other sources compute for the same warehouse."""

import pytest

from graph_schema.naming import dataset_name
from ingestors.identity.warehouse import WarehouseError, warehouse_from_parts, warehouse_from_url


def test_duckdb_file_is_named_after_its_stem() -> None:
    wh = warehouse_from_url("duckdb:////srv/warehouse/shop.duckdb")
    assert (wh.platform, wh.authority, wh.database) == ("duckdb", "shop", "shop")
    # the id the dbt ingestor gives the same relation
    assert wh.dataset("shop", "analytics", "fct_orders").id == dataset_name(
        "duckdb", "shop", "shop", "analytics", "fct_orders").id == "dataset:duckdb://shop/shop.analytics.fct_orders"


def test_postgres_url_gets_the_default_port_and_keeps_the_database() -> None:
    wh = warehouse_from_url("postgresql+psycopg://reader:secret@db.example.com/shop")
    assert wh.namespace == "postgres://db.example.com:5432"
    assert wh.database == "shop"
    assert wh.dataset("shop", "Public", "Orders").name == "shop.public.orders"


def test_tool_details_and_url_meet_in_one_namespace() -> None:
    from_url = warehouse_from_url("postgresql://db.example.com:5433/shop")
    from_parts = warehouse_from_parts("postgres", host="db.example.com", port=5433, database="shop")
    assert from_url.namespace == from_parts.namespace == "postgres://db.example.com:5433"
    assert warehouse_from_parts("duckdb", path="/data/shop.duckdb").namespace == "duckdb://shop"


def test_bad_url_is_one_line_naming_it() -> None:
    with pytest.raises(WarehouseError) as caught:
        warehouse_from_url("not a url")
    assert str(caught.value) == "'not a url' is not a SQLAlchemy URL (dialect://user@host:port/database)"
    with pytest.raises(WarehouseError, match="names no host"):
        warehouse_from_url("postgresql:///shop")
