"""The shop's Metabase export, and an embedded store."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from datagraph.estate import METABASE_EXPORT
from graph_schema.config import load_settings
from graph_schema.store import GraphStore, open_store

EXPORT = METABASE_EXPORT


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return Path(shutil.copy(EXPORT, tmp_path / "metabase.json"))


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[GraphStore]:
    """One backend is enough where the backend is not what is tested."""
    with open_store(load_settings(home=tmp_path / "home")) as store:
        yield store
