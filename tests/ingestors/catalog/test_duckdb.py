"""The catalog of a real DuckDB file: relations, columns, keys, comments and view lineage."""

from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from graph_schema.config import load_settings
from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.naming import dataset_name
from graph_schema.store import Direction, GraphStore, open_store
from ingestors.catalog.cli import ingest_catalog_command
from ingestors.catalog.config import CatalogConfig
from ingestors.catalog.errors import CatalogError
from ingestors.catalog.ingest import ingest_catalog


def ds(name: str) -> str:
    return dataset_name("duckdb", "shopdw", f"shopdw.{name}").id


def col(name: str, column: str) -> str:
    return column_id(ds(name), column)


def upstream(store: GraphStore, node: str, kind: EdgeKind) -> dict[str, dict]:
    return {n.node.id: dict(n.edge.props) for n in store.neighbours(node, Direction.UPSTREAM, [kind])}


def test_relations_columns_keys_and_comments(embedded: GraphStore, warehouse: Path) -> None:
    result = ingest_catalog(f"duckdb:///{warehouse}", embedded)
    assert result.source == "catalog:duckdb://shopdw/shopdw"
    customers = embedded.get(ds("sales.customers"))
    assert customers is not None and customers.kind is NodeKind.TABLE
    assert customers.description == "One row per customer account."
    assert customers.aliases == ("sales.customers",)
    assert customers.props["primary_key"] == ["id"]
    region = embedded.get(col("sales.customers", "region"))
    assert region is not None and region.description == "Sales region of the billing address."
    assert region.props["data_type"] == "VARCHAR" and region.props["index"] == 3
    assert embedded.get(col("sales.customers", "name")).props["nullable"] is False  # type: ignore[union-attr]
    assert embedded.get(col("sales.customers", "id")).props["primary_key"] is True  # type: ignore[union-attr]
    fk = embedded.get(col("sales.orders", "customer_id")).props["foreign_key"]  # type: ignore[union-attr]
    assert fk == {"dataset": ds("sales.customers"), "column": "id"}
    # DuckDB identifiers are case-insensitive: the id folds, the alias keeps the stored spelling
    mixed = embedded.get(ds("main.mixedcase"))
    assert mixed is not None and mixed.aliases == ("main.MixedCase",)
    assert embedded.get(column_id(ds("main.mixedcase"), "Id")) is not None
    assert result.report.stats["tables"] == 4 and result.report.stats["views"] == 1


def test_view_definition_gives_column_lineage(embedded: GraphStore, warehouse: Path) -> None:
    ingest_catalog(f"duckdb:///{warehouse}", embedded)
    view = embedded.get(ds("sales.customer_totals"))
    assert view is not None and view.kind is NodeKind.VIEW
    assert view.props["view_lineage"] == {"status": "parsed", "coverage": "complete"}
    total = upstream(embedded, col("sales.customer_totals", "total"), EdgeKind.COLUMN_FEEDS)
    # `orders` in the view is sales.orders (the view's schema), not archive.orders
    assert total == {col("sales.orders", "amount"): {"transformation": "aggregated", "confidence": 1.0}}
    name = upstream(embedded, col("sales.customer_totals", "name"), EdgeKind.COLUMN_FEEDS)
    assert list(name) == [col("sales.customers", "name")]
    shaping = upstream(embedded, ds("sales.customer_totals"), EdgeKind.COLUMN_SHAPES)
    assert shaping[col("sales.orders", "status")]["role"] == "filter"
    assert set(upstream(embedded, ds("sales.customer_totals"), EdgeKind.FEEDS)) == {
        ds("sales.orders"), ds("sales.customers")}


def test_second_ingest_changes_nothing(store: GraphStore, warehouse: Path) -> None:
    first = ingest_catalog(f"duckdb:///{warehouse}", store)
    assert first.summary.changed
    again = ingest_catalog(f"duckdb:///{warehouse}", store)
    assert not again.summary.changed
    assert again.summary.nodes_asserted == first.summary.nodes_asserted


def test_dropped_column_is_retired(embedded: GraphStore, warehouse: Path) -> None:
    ingest_catalog(f"duckdb:///{warehouse}", embedded)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("alter table archive.orders drop column amount")
    result = ingest_catalog(f"duckdb:///{warehouse}", embedded)
    assert result.summary.nodes_removed == 1
    assert embedded.get(col("archive.orders", "amount")) is None
    assert embedded.get(col("archive.orders", "id")) is not None


def test_schema_filters(embedded: GraphStore, warehouse: Path) -> None:
    ingest_catalog(CatalogConfig(url=f"duckdb:///{warehouse}", exclude_schemas=("archive", "main")), embedded)
    assert embedded.get(ds("archive.orders")) is None
    assert embedded.get(ds("sales.orders")) is not None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("duckdb:///{tmp}/missing.duckdb", "duckdb:///{tmp}/missing.duckdb: no such DuckDB file {tmp}/missing.duckdb"),
        ("not a url", "'not a url' is not a SQLAlchemy URL (dialect://user@host:port/database)"),
        ("duckdb:///:memory:", "duckdb:///:memory:: name a DuckDB database file; an in-memory database holds "
                               "nothing to read"),
        ("postgresql://reader:s3cret@127.0.0.1:1/shop",
         "cannot read the catalog of postgresql+psycopg://reader:***@127.0.0.1:1/shop: "),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(store: GraphStore, tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        ingest_catalog(url.format(tmp=tmp_path), store)
    text = str(caught.value)
    assert "\n" not in text and text.startswith(message.format(tmp=tmp_path))
    assert "s3cret" not in text
    assert store.current_run() is None


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(ingest_catalog_command)
    return app


def test_cli_prints_a_summary_and_exits_2_on_bad_input(tmp_path: Path, warehouse: Path) -> None:
    home = tmp_path / "home"
    ok = CliRunner().invoke(cli_app(), [f"duckdb:///{warehouse}", "--home", str(home)])
    assert ok.exit_code == 0, ok.output
    assert "catalog:duckdb://shopdw/shopdw: ingested in" in ok.stdout
    bad = CliRunner().invoke(cli_app(), [f"duckdb:///{tmp_path}/nope.duckdb", "--home", str(tmp_path / "other")])
    assert bad.exit_code == 2
    assert bad.stderr.strip().splitlines() == [f"error: duckdb:///{tmp_path}/nope.duckdb: no such DuckDB file "
                                               f"{tmp_path}/nope.duckdb"]
    with open_store(load_settings(home=tmp_path / "other")) as store:
        assert store.current_run() is None
