"""The shop dbt project built once per session with real dbt on DuckDB (cached by content across sessions)."""

from pathlib import Path

import pytest

from datagraph.estate.build import SHOP_PROJECT, build_project


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    cache = request.config.cache.mkdir("shop_dbt_build") if request.config.cache is not None else None
    return build_project(SHOP_PROJECT, tmp_path_factory.mktemp("dbt"), cache_dir=cache)
