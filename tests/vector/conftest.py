"""One real embedder for the session (loading the model takes seconds), a fresh index and a small estate per test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_schema.models import Node
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.index import VectorIndex


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedder]:
    model = Embedder(cache_path=tmp_path_factory.mktemp("embedding-cache") / "embeddings.sqlite")
    yield model
    model.close()


@pytest.fixture
def index(tmp_path: Path, embedder: Embedder) -> Iterator[VectorIndex]:
    with VectorIndex.local(tmp_path / "vectors", embedder) as opened:
        yield opened


@pytest.fixture
def estate() -> list[Node]:
    """A few assets of unrelated meaning; the income metric's words share nothing with 'monthly revenue'."""
    return [
        Node(id="metric:finance.inc_m", kind="metric", name="inc_m", description="Total income per month.",
             tags=("finance",)),
        Node(id="metric:cx.churn_rate", kind="metric", name="churn_rate",
             description="Share of customers who cancelled their subscription."),
        Node(id="dataset:duckdb://local/shop.main.orders", kind="model", name="orders",
             qualified_name="shop.main.orders", description="One row per order line with quantities.",
             tags=("finance", "core")),
        Node(id="dataset:duckdb://local/shop.main.daily_active_users", kind="model", name="daily_active_users",
             qualified_name="shop.main.daily_active_users", description="Users who logged in each day."),
        Node(id="column:duckdb://local/shop.main.customers#shipping_address", kind="column",
             name="shipping_address", qualified_name="shop.main.customers.shipping_address",
             description="Postal address the parcel goes to."),
        Node(id="dataset:duckdb://local/shop.main.stock_levels", kind="table", name="stock_levels",
             qualified_name="shop.main.stock_levels", description="Inventory on hand per warehouse and product."),
    ]
