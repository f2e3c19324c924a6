"""The shop project ingested once per backend for this package's read-only tests, and tool contexts on it."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph_schema.config import Settings
from graph_schema.store.base import GraphStore
from graph_schema.store.embedded.store import EmbeddedStore
from ingestors.dbt.ingest import ingest_dbt_project
from server.governed import tool_context
from server.runtime import Runtime, build_runtime
from server.tools.context import ToolContext
from server.tools.names import ToolName
from tests.conftest import BACKENDS, open_neo4j_store
from tests.support.neo4j import wipe_neo4j


@pytest.fixture(scope="module", params=BACKENDS)
def shop_store(request: pytest.FixtureRequest, shop_project: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[GraphStore]:
    """The built shop project ingested into an empty graph of each backend; tests only read it."""
    if request.param == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        wipe_neo4j(server)
        store: GraphStore = open_neo4j_store(server)
    else:
        store = EmbeddedStore(tmp_path_factory.mktemp("shop-graph") / "graph")
    ingest_dbt_project(shop_project, store, workers=1)
    yield store
    store.close()


@pytest.fixture(scope="module")
def shop_runtime(shop_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    runtime = build_runtime(Settings(home=tmp_path_factory.mktemp("home")), store=shop_store)
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def make_context(shop_runtime: Runtime) -> Callable[[ToolName], ToolContext]:
    """A tool context for the local principal of the built-in policy, as a stdio caller gets."""
    principal = shop_runtime.policy.local_principal("tester")

    def make(tool: ToolName) -> ToolContext:
        return tool_context(shop_runtime, principal, tool)

    return make
