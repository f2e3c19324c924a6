"""The shop's loader events (real openlineage-python client output) and an embedded store."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_schema.config import load_settings
from graph_schema.store import GraphStore, open_store
from tests.ingestors.openlineage.shop_events import FIXTURE


@pytest.fixture
def events_file() -> Path:
    return FIXTURE


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[GraphStore]:
    """One backend is enough where the backend is not what is tested."""
    with open_store(load_settings(home=tmp_path / "home")) as store:
        yield store
