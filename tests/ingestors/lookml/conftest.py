"""The shop's LookML project, and an embedded store."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from datagraph.estate import LOOKML_PROJECT
from graph_schema.config import load_settings
from graph_schema.store import GraphStore, open_store
from ingestors.lookml.config import LookmlConfig

PROJECT = LOOKML_PROJECT
# the file dbt builds the shop into: its catalog, and so its namespace, is `shop`
SHOP_CONNECTION = LookmlConfig(connections={"shop_warehouse": "duckdb:///warehouse/shop.duckdb"})


@pytest.fixture
def project() -> Path:
    return PROJECT


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[GraphStore]:
    """One backend is enough where the backend is not what is tested."""
    with open_store(load_settings(home=tmp_path / "home")) as store:
        yield store
