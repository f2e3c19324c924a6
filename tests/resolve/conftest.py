"""Both fixture projects built with real dbt on DuckDB, each ingested into its own graph with its vector index."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from datagraph.estate.build import SHOP_PROJECT, build_project
from graph_schema.config import Settings
from graph_schema.store import open_store
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.sync import sync_snapshot_index
from ingestors.dbt.ingest import ingest_dbt_project
from tests.support.saas_build import SAAS_PROJECT

PROJECTS = {"shop": SHOP_PROJECT, "saas": SAAS_PROJECT}


@dataclass(frozen=True)
class Project:
    name: str
    path: Path  # the built dbt project
    home: Path  # its graph, vector index and feedback

    @property
    def database(self) -> Path:
        return self.path / PROJECTS[self.name].database_file

    @property
    def settings(self) -> Settings:
        return Settings(home=self.home)


@pytest.fixture(scope="session")
def embedder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedder]:
    # texts seen in an earlier session are not embedded again
    folder = request.config.cache.mkdir("embeddings") if request.config.cache else tmp_path_factory.mktemp("emb")
    model = Embedder(cache_path=Path(folder) / "embeddings.sqlite", threads=1)
    yield model
    model.close()


def _project(name: str, request: pytest.FixtureRequest, tmp: Path, embedder: Embedder) -> Project:
    cache = request.config.cache.mkdir(f"{name}_dbt_build") if request.config.cache is not None else None
    path = build_project(PROJECTS[name], tmp / "dbt", cache_dir=cache)
    project = Project(name, path, tmp / "home")
    with open_store(project.settings) as store:
        ingest_dbt_project(path, store, workers=1)
        sync_snapshot_index(store, project.settings, embedder=embedder)
    return project


@pytest.fixture(scope="session")
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Project:
    return _project("shop", request, tmp_path_factory.mktemp("shop"), embedder)


@pytest.fixture(scope="session")
def saas(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Project:
    return _project("saas", request, tmp_path_factory.mktemp("saas"), embedder)


@pytest.fixture(scope="session")
def projects(shop: Project, saas: Project) -> dict[str, Project]:
    return {"shop": shop, "saas": saas}
