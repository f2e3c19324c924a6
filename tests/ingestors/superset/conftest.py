"""The shop's Superset export (unpacked, and zipped as the UI downloads it), and an embedded store."""

import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from datagraph.estate import SUPERSET_EXPORT
from graph_schema.config import load_settings
from graph_schema.store import GraphStore, open_store

EXPORT = SUPERSET_EXPORT


def zip_export(folder: Path, target: Path) -> Path:
    """Zip `folder` under one root folder, the way Superset names its export downloads."""
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"dashboard_export_20240603T090000/{path.relative_to(folder).as_posix()}")
    return target


@pytest.fixture
def export(tmp_path: Path) -> Path:
    copy = tmp_path / "export"
    shutil.copytree(EXPORT, copy)
    return copy


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[GraphStore]:
    """One backend is enough where the backend is not what is tested."""
    with open_store(load_settings(home=tmp_path / "home")) as store:
        yield store
