"""The shop dbt project built once per session with real dbt on DuckDB (cached by content across sessions)."""

from pathlib import Path

import pytest

from tests.support.dbt_build import build_shop_project


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    cache = request.config.cache.mkdir("shop_dbt_build") if request.config.cache is not None else None
    return build_shop_project(tmp_path_factory.mktemp("dbt"), cache_dir=cache)
