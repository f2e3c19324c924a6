"""One estate across every source: dbt, the warehouse catalog, OpenLineage loads, LookML, Superset, Metabase.

The same physical table, whichever source names it and however, is one dataset node; and a raw column
loaded by the sync tool reaches, downstream through dbt, the BI fields, charts and dashboards that read it.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_schema.config import load_settings
from graph_schema.ids import column_id
from graph_schema.kinds import DATASET_KINDS, EdgeKind, NodeKind
from graph_schema.store import Direction, GraphStore, open_store
from ingestors.catalog.ingest import ingest_catalog
from ingestors.common.outcome import IngestResult
from ingestors.dbt.ingest import ingest_dbt_project
from ingestors.lookml.config import LookmlConfig
from ingestors.lookml.ingest import ingest_lookml
from ingestors.metabase.ingest import ingest_metabase
from ingestors.openlineage.ingest import ingest_openlineage_file
from ingestors.superset.ingest import ingest_superset
from datagraph.estate import LOOKML_PROJECT, METABASE_EXPORT, OPENLINEAGE_EVENTS, SUPERSET_EXPORT
from datagraph.estate.build import SHOP_PROJECT

SHOP = "dataset:duckdb://shop/shop"
FLOW = [EdgeKind.COLUMN_FEEDS, EdgeKind.FEEDS, EdgeKind.CONTAINS]


def ingest_bi(store: GraphStore, shop_project: Path, home: Path) -> list[IngestResult]:
    warehouse = f"duckdb:///{shop_project / SHOP_PROJECT.database_file}"
    return [
        ingest_catalog(warehouse, store),
        ingest_openlineage_file(OPENLINEAGE_EVENTS, store, home),
        ingest_lookml(LOOKML_PROJECT, store,
                      LookmlConfig(connections={"shop_warehouse": warehouse})),
        ingest_superset(SUPERSET_EXPORT, store),
        ingest_metabase(METABASE_EXPORT, store),
    ]


@pytest.fixture(scope="module")
def estate(shop_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GraphStore, Path]]:
    home = tmp_path_factory.mktemp("estate")
    with open_store(load_settings(home=home)) as store:
        ingest_dbt_project(shop_project, store)
        for result in ingest_bi(store, shop_project, home):
            assert result.report.warnings == [], (result.source, result.report.warnings)
        yield store, home


def test_one_node_per_physical_table(estate: tuple[GraphStore, Path], shop_project: Path) -> None:
    store, _ = estate
    datasets = [n for n in store.nodes(DATASET_KINDS) if n.id.startswith(f"{SHOP}.")]
    # every table the BI tools and loaders name is one dbt (or the catalog) already knows
    assert len(datasets) == len({n.qualified_name.lower() for n in datasets}) == 25
    orders = store.get(f"{SHOP}.analytics.fct_orders")
    assert orders is not None and orders.kind is NodeKind.MODEL
    assert "analytics.fct_orders" in orders.aliases and "model.shop.fct_orders" in orders.aliases
    daily = store.get(f"{SHOP}.analytics.fct_daily_revenue")
    assert daily is not None and '"analytics"."fct_daily_revenue"' in daily.aliases  # LookML's spelling
    raw = store.get(f"{SHOP}.raw.raw_orders")
    assert raw is not None and raw.kind is NodeKind.SEED
    assert raw.props["openlineage"] == {"namespace": "duckdb://shop", "name": "shop.raw.raw_orders"}


def bi_reached(store: GraphStore, start: str, kinds: list[EdgeKind]) -> set[str]:
    walk = store.traverse(start, Direction.DOWNSTREAM, kinds, max_depth=20)
    return {r.id for r in walk.reached if r.kind in (NodeKind.FIELD, NodeKind.CHART, NodeKind.DASHBOARD)}


def test_a_loaded_column_reaches_every_tool_that_reads_it(estate: tuple[GraphStore, Path]) -> None:
    store, _ = estate
    source = column_id("dataset:postgres://shop-db.internal:5432/shop.public.orders", "discount_cents")
    raw = column_id(f"{SHOP}.raw.raw_orders", "discount_cents")
    walk = store.traverse(source, Direction.DOWNSTREAM, FLOW, max_depth=20)
    reached = {r.id for r in walk.reached}
    assert raw in reached
    assert column_id(f"{SHOP}.analytics.fct_orders", "net_amount") in reached
    expected = {
        "field:lookml/shop_looker/orders/total_net_revenue",
        "chart:lookml/shop_looker/sales_overview/revenue_by_month",
        "dashboard:lookml/shop_looker/sales_overview",
        "field:superset/superset/9a0e6f3e-2b5c-4d1a-8f2e-1c7b5d3a9e11/metric/revenue",
        "chart:superset/superset/b1e4c7d2-3a5f-4e6b-8c9d-0f1a2b3c4d31",
        "dashboard:superset/superset/e4b7fa05-6d8c-4b9e-9fc0-3c4d5e6f7a64",
        "field:metabase/metabase.shop.example/31/sum",
        "chart:metabase/metabase.shop.example/31",
        "dashboard:metabase/metabase.shop.example/7",
        "chart:metabase/metabase.shop.example/35",
        "dashboard:metabase/metabase.shop.example/8",
    }
    assert expected <= bi_reached(store, raw, FLOW)
    # the path runs through dbt's lineage and the loader's
    path = next(r.path for r in walk.reached if r.id == "dashboard:lookml/shop_looker/sales_overview")
    assert path[:2] == (source, raw)
    assert column_id(f"{SHOP}.staging.stg_orders", "discount_amount") in path


def test_a_column_no_tool_reads_reaches_none(estate: tuple[GraphStore, Path]) -> None:
    store, _ = estate
    email = column_id(f"{SHOP}.raw.raw_customers", "email")
    assert bi_reached(store, email, [EdgeKind.COLUMN_FEEDS, EdgeKind.FEEDS]) == set()


def test_every_source_ingested_again_changes_nothing(estate: tuple[GraphStore, Path], shop_project: Path) -> None:
    store, home = estate
    assert not ingest_dbt_project(shop_project, store).summary.changed
    for result in ingest_bi(store, shop_project, home):
        assert not result.summary.changed, result.source
