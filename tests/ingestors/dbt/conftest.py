"""The shop dbt project's artifacts and parsed graph, once per session (the build is in tests/conftest.py)."""

from pathlib import Path

import pytest

from graph_schema.sql_lineage import analyze
from ingestors.dbt.artifacts import DbtArtifacts, load_artifacts
from ingestors.dbt.parser import ParseResult, parse


@pytest.fixture(scope="session")
def shop_artifacts(shop_project: Path) -> DbtArtifacts:
    return load_artifacts(shop_project)


@pytest.fixture(scope="session")
def shop_graph(shop_artifacts: DbtArtifacts) -> ParseResult:
    return parse(shop_artifacts, analyze)
