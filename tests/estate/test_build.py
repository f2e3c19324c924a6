"""The sample estate builds from relative folders too (the demo's default home is `./.datagraph`)."""

from pathlib import Path

import pytest

from datagraph.estate.build import SHOP_PROJECT, build_project


def test_build_with_relative_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    built = build_project(SHOP_PROJECT, Path("home/demo-build"), cache_dir=Path("home/demo-build/cache"))
    assert (tmp_path / built / "target" / "manifest.json").is_file()
    assert (tmp_path / built / "target" / "catalog.json").is_file()
