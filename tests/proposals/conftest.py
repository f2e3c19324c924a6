"""The shop project ingested once for this package (tests only read that graph), tool contexts over it with a
proposal store of each test's own, and proposal stores on SQLite and PostgreSQL."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from graph_schema.config import Settings
from graph_schema.store import GraphStore, open_store
from graph_schema.store.embedded.store import EmbeddedStore
from ingestors.dbt.ingest import ingest_dbt_project
from server.governance.policy import Policy, load_policy
from server.governance.principal import Principal
from server.governed import tool_context
from server.proposals.store import ProposalStore, open_proposal_store
from server.proposals.store_postgres import PostgresDatabase
from server.proposals.store_sqlite import SqliteDatabase
from server.runtime import Runtime, build_runtime
from server.tools.context import ToolContext
from server.tools.names import ToolName
from tests.server.conftest import url_with_schema

ContextFactory = Callable[..., ToolContext]

REVIEW_POLICY = """
version: 1
roles:
  engineer:
    tools: [search_assets, get_asset, impact_analysis, propose_change, review_proposal]
  analyst:
    tools: [search_assets, get_asset, propose_change]
  reviewer:
    tools: [search_assets, get_asset, review_proposal]
local:
  default_role: analyst
  principals:
    agent: engineer
    bob: reviewer
    finance-data@shop.example: reviewer
    growth-analytics@shop.example: reviewer
"""


@pytest.fixture(scope="session")
def shop_home(shop_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DATAGRAPH_HOME whose graph is the built shop project; tests must not write to it."""
    home = tmp_path_factory.mktemp("shop-home")
    store = EmbeddedStore(home / "graph")
    try:
        ingest_dbt_project(shop_project, store, workers=1)
    finally:
        store.close()
    return home


@pytest.fixture(scope="session")
def shop_graph(shop_home: Path) -> Iterator[GraphStore]:
    with open_store(Settings(home=shop_home), read_only=True) as store:
        yield store


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[[str], Policy]:
    def write(text: str) -> Policy:
        path = tmp_path / "policy.yaml"
        path.write_text(text, encoding="utf-8")
        return load_policy(path)

    return write


@pytest.fixture
def runtime_for(tmp_path: Path, shop_graph: GraphStore) -> Iterator[Callable[..., Runtime]]:
    """Runtimes over the shop graph whose audit log and proposals live in this test's own home."""
    made: list[Runtime] = []

    def make(policy: Policy | None = None) -> Runtime:
        runtime = build_runtime(Settings(home=tmp_path / "home"), store=shop_graph, policy=policy)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()


@pytest.fixture
def context(runtime_for: Callable[..., Runtime]) -> ContextFactory:
    """A tool context for principal `name` (default: the built-in policy's local user)."""

    def make(name: str = "ada", tool: ToolName = ToolName.PROPOSE_CHANGE, policy: Policy | None = None) -> ToolContext:
        runtime = runtime_for(policy)
        principal: Principal = runtime.policy.local_principal(name)
        return tool_context(runtime, principal, tool)

    return make


@pytest.fixture
def home_store(tmp_path: Path) -> Iterator[Callable[[], ProposalStore]]:
    """Opens the proposal store of this test's home (what the tools write to), as often as asked."""
    opened: list[ProposalStore] = []

    def make() -> ProposalStore:
        store = open_proposal_store(Settings(home=tmp_path / "home"))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """The session's PostgreSQL with a schema of this test's own first on the search path."""
    schema = f"proposals_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield url_with_schema(postgres_url, schema)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], ProposalStore]]:
    """Opens proposal stores on one database of each backend; several stores = several server processes."""
    opened: list[ProposalStore] = []
    if request.param == "sqlite":
        path = tmp_path / "audit.sqlite"

        def make() -> ProposalStore:
            store = ProposalStore(SqliteDatabase(path))
            opened.append(store)
            return store
    else:
        url = request.getfixturevalue("postgres_schema_url")

        def make() -> ProposalStore:
            store = ProposalStore(PostgresDatabase(url))
            opened.append(store)
            return store

    yield make
    for store in opened:
        store.close()
