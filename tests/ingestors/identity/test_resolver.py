"""Partial table names resolve only when they name one table; ambiguity is reported, never guessed."""

from pathlib import Path

from graph_schema.config import load_settings
from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from graph_schema.naming import dataset_name
from graph_schema.store import open_store
from ingestors.common.report import IngestReport
from ingestors.identity.resolver import EmptyCatalogue, StoreCatalogue, TableResolver
from ingestors.identity.warehouse import Warehouse, warehouse_from_url

SHOP = warehouse_from_url("duckdb:///shop.duckdb")


def ds(name: str) -> str:
    return dataset_name("duckdb", "shop", f"shop.{name}").id


def resolver(warehouse: Warehouse = SHOP) -> tuple[TableResolver, IngestReport]:
    report = IngestReport(source="test")
    res = TableResolver(warehouse, EmptyCatalogue(), report)
    for name in ("sales.orders", "archive.orders", "analytics.fct_orders"):
        res.know(dataset_name("duckdb", "shop", f"shop.{name}"))
    return res, report


def test_qualified_names_resolve_without_lookup() -> None:
    res, report = resolver()
    assert res.resolve("analytics.fct_orders", "x").id == ds("analytics.fct_orders")  # type: ignore[union-attr]
    shouted = res.resolve("SHOP.Analytics.FCT_ORDERS", "x")
    assert shouted is not None and shouted.id == ds("analytics.fct_orders")
    assert res.resolve("other.unknown", "x").id == ds("other.unknown")  # type: ignore[union-attr]
    assert report.warnings == []


def test_unqualified_name_known_once_resolves() -> None:
    res, _ = resolver()
    assert res.resolve("fct_orders", "card 1").id == ds("analytics.fct_orders")  # type: ignore[union-attr]


def test_ambiguous_name_is_reported_not_guessed() -> None:
    res, report = resolver()
    assert res.resolve("orders", "card 7") is None
    (warning,) = report.warnings
    assert warning.item == "card 7" and warning.stage == "identity"
    assert "ambiguous" in warning.message
    assert "shop.archive.orders" in warning.message and "shop.sales.orders" in warning.message
    assert report.stats["ambiguous_tables"] == 1


def test_unknown_unqualified_name_is_reported() -> None:
    res, report = resolver()
    assert res.resolve("customers", "view customers") is None
    assert "no table of that name is known" in report.warnings[0].message


def test_a_configured_default_schema_decides() -> None:
    res, report = resolver(warehouse_from_url("duckdb:///shop.duckdb", default_schema="sales"))
    assert res.resolve("orders", "x").id == ds("sales.orders")  # type: ignore[union-attr]
    assert report.warnings == []


def test_tables_of_another_database_are_no_candidates() -> None:
    res, report = resolver(warehouse_from_url("duckdb:///other.duckdb"))
    assert res.resolve("fct_orders", "x") is None
    assert "no table of that name is known in duckdb://other/other" in report.warnings[0].message


def test_store_candidates_count(tmp_path: Path) -> None:
    """Tables other sources put in the graph decide an unqualified name just as listed ones do."""
    with open_store(load_settings(home=tmp_path)) as store:
        with store.begin_run("test:tables") as run:
            run.add_nodes([
                Node(id=ds("raw.customers"), kind=NodeKind.TABLE, name="customers",
                     qualified_name="shop.raw.customers"),
                Node(id=ds("staging.payments"), kind=NodeKind.VIEW, name="payments",
                     qualified_name="shop.staging.payments"),
                Node(id=ds("legacy.payments"), kind=NodeKind.TABLE, name="payments",
                     qualified_name="shop.legacy.payments"),
            ])
        report = IngestReport(source="test")
        res = TableResolver(SHOP, StoreCatalogue(store), report)
        assert res.resolve("customers", "x").id == ds("raw.customers")  # type: ignore[union-attr]
        assert res.resolve("payments", "y") is None
        assert [w.item for w in report.warnings] == ["y"]
