"""Impact that reaches Looker: the shop's dbt project and its LookML project in one graph, on both backends.

Expected sets are written from the LookML files (datagraph/estate/lookml/shop_looker): views are semantic
models whose fields read mart columns, explores join views, dashboard tiles read explore fields. Only the
Looker part of each answer is compared here; the dbt part is what impact_scenarios.yaml checks.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_schema.store.base import GraphStore
from graph_schema.store.embedded.store import EmbeddedStore
from ingestors.dbt.ingest import ingest_dbt_project
from ingestors.lookml.ingest import ingest_lookml
from server.lineage.columns import resolve_column
from server.lineage.impact import ImpactRequest, analyse
from server.tools.schemas import ChangeSpec
from tests.conftest import BACKENDS, open_neo4j_store
from tests.ingestors.lookml.conftest import PROJECT, SHOP_CONNECTION
from tests.support.neo4j import wipe_neo4j

MART = "dataset:duckdb://shop/shop.analytics"
LOOKER = "lookml/shop_looker/"

SCENARIOS = [
    pytest.param(
        "dim_customers", ChangeSpec(type="drop_column", column="region"),
        # customers.region reads the column; both explores join customers; revenue_by_month listens to it
        {"field:customers/region", "semantic_model:customers", "explore:shop/orders", "explore:shop/customer_channels",
         "chart:sales_overview/revenue_by_month", "dashboard:sales_overview"},
        set(),
        id="drop-region",
    ),
    pytest.param(
        "fct_orders", ChangeSpec(type="change_type", column="net_amount", new_type="varchar"),
        # net_amount passes through as text; sum and average over it fail, as do the daily revenue fields built
        # on fct_daily_revenue's sums, and every tile that shows them
        {"field:orders/total_net_revenue", "field:orders/average_order_value", "field:daily_revenue/net_revenue",
         "field:daily_revenue/total_net_revenue", "field:daily_revenue/seven_day_average", "semantic_model:orders",
         "semantic_model:daily_revenue", "explore:shop/orders", "explore:shop/daily_revenue",
         "chart:sales_overview/revenue_by_month", "chart:sales_overview/revenue_by_segment",
         "chart:sales_overview/average_order_value", "dashboard:sales_overview"},
        {"field:orders/net_amount"},
        id="retype-net-amount",
    ),
    pytest.param(
        "fct_customer_events", ChangeSpec(type="drop_column", column="activity_type"),
        # the customer_channels derived table filters on activity_type: the view breaks, and what it feeds
        # may see other rows once it is fixed
        {"semantic_model:customer_channels", "explore:shop/customer_channels"},
        {"field:customer_channels/channel", "field:customer_channels/customer_id", "field:customer_channels/purchases",
         "field:customer_channels/purchase_value", "chart:channels/purchases_by_channel", "dashboard:channels"},
        id="drop-activity-type",
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def bi_store(request: pytest.FixtureRequest, shop_project: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[GraphStore]:
    if request.param == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        wipe_neo4j(server)
        store: GraphStore = open_neo4j_store(server)
    else:
        store = EmbeddedStore(tmp_path_factory.mktemp("bi-graph") / "graph")
    ingest_dbt_project(shop_project, store, workers=1)
    ingest_lookml(PROJECT, store, SHOP_CONNECTION)
    yield store
    store.close()


def looker_items(ids: set[str]) -> set[str]:
    return {i.replace(LOOKER, "") for i in ids if LOOKER in i}


@pytest.mark.parametrize(("table", "change", "breaking", "at_risk"), SCENARIOS)
def test_impact_reaches_looker_fields_tiles_and_dashboards(
    bi_store: GraphStore, table: str, change: ChangeSpec, breaking: set[str], at_risk: set[str]
) -> None:
    target = bi_store.get(f"{MART}.{table}")
    assert target is not None and change.column is not None
    column = resolve_column(bi_store, target, change.column)
    report = analyse(bi_store, ImpactRequest(target=target, change=change, column=column))
    found: dict[str, set[str]] = {"breaking": set(), "at_risk": set()}
    for item in report.impacted:
        found[item.severity].add(item.id)
    assert looker_items(found["breaking"]) == breaking
    assert looker_items(found["at_risk"]) == at_risk
