"""Real deployments for the fault, load and scale-out cases: the shop dbt estate in two versions,
`datagraph ingest dbt` and `datagraph serve --transport http` as child processes, bearer tokens, the
graph's whole state for comparisons, and the real MCP client over streamable HTTP."""

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from graph_schema.config import Settings
from graph_schema.models import canonical_json
from graph_schema.store import open_store
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.index import EMBEDDING_CACHE_FILE
from graph_schema.vector.sync import sync_snapshot_index
from ingestors.dbt.ingest import ingest_dbt_project
from tests.cli.serve_process import cli_command, cli_env
from tests.server.conftest import new_token
from tests.support.neo4j import Neo4jConnection

INGEST_TIMEOUT_S = 300
REVISION = " Revised."
# Every read tool an analyst has; the rate limit is out of the way of a load test.
POLICY = """
roles:
  local: {{tools: []}}
  analyst: {{tools: [search_assets, get_asset, resolve_metric, trace_lineage, impact_analysis, recent_changes]}}
  governance: {{tools: [audit_log]}}
principals:
{principals}
rate_limit: {{requests_per_minute: 100000000, burst: 1000000}}
"""
Step = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class ShopVersions:
    """The shop's dbt target folder as built (v1) and with every model and source description revised (v2),
    and an embedding cache holding every text of both, so that ingests do not spend their time embedding."""

    v1: Path
    v2: Path
    embeddings: Path

    def other(self, target: Path) -> Path:
        return self.v2 if target == self.v1 else self.v1


@pytest.fixture(scope="session")
def shop_versions(
    shop_project: Path, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> ShopVersions:
    # Texts embedded in an earlier session are not embedded again (the cache tests/resolve keeps too).
    kept = request.config.cache.mkdir("embeddings") if request.config.cache else tmp_path_factory.mktemp("emb")
    return make_shop_versions(shop_project, tmp_path_factory.mktemp("shop-versions"), Path(kept) / EMBEDDING_CACHE_FILE)


def make_shop_versions(built: Path, folder: Path, embedding_cache: Path) -> ShopVersions:
    """Both versions of the built shop project `built` in `folder`; `embedding_cache` learns their texts."""
    v1 = folder / "v1" / "target"
    v2 = folder / "v2" / "target"
    shutil.copytree(built / "target", v1)
    shutil.copytree(built / "target", v2)
    manifest = json.loads((v2 / "manifest.json").read_text(encoding="utf-8"))
    for entry in [*manifest["nodes"].values(), *manifest["sources"].values()]:
        entry["description"] = (entry.get("description") or "") + REVISION
    (v2 / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    embedder = Embedder(cache_path=embedding_cache, threads=1)
    try:
        settings = Settings(home=folder / "warm-up")
        for target in (v1, v2):
            with open_store(settings) as store:
                ingest_dbt_project(target, store)
                sync_snapshot_index(store, settings, embedder=embedder)
    finally:
        embedder.close()
    embeddings = folder / EMBEDDING_CACHE_FILE
    copy_sqlite(embedding_cache, embeddings)
    return ShopVersions(v1, v2, embeddings)


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file another process may be writing (the backup API, not a file copy)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def new_home(path: Path, shop: ShopVersions) -> Path:
    path.mkdir(parents=True)
    copy_sqlite(shop.embeddings, path / EMBEDDING_CACHE_FILE)
    return path


def neo4j_env(connection: Neo4jConnection) -> dict[str, str]:
    return {
        "DATAGRAPH_GRAPH_URI": connection.uri,
        "DATAGRAPH_NEO4J_USER": connection.user,
        "DATAGRAPH_NEO4J_PASSWORD": connection.password,
        "DATAGRAPH_NEO4J_DATABASE": connection.database,
    }


def settings_for(home: Path, connection: Neo4jConnection | None) -> Settings:
    if connection is None:
        return Settings(home=home)
    return Settings(
        home=home, graph_uri=connection.uri, neo4j_user=connection.user, neo4j_password=connection.password,
        neo4j_database=connection.database,
    )


def ingest_command(target: Path, home: Path) -> list[str]:
    return cli_command("ingest", "dbt", str(target), "--home", str(home), "--quiet")


def ingest(target: Path, home: Path, env: dict[str, str]) -> None:
    """`datagraph ingest dbt` to the end; the test fails with the command's output if it does not succeed."""
    done = subprocess.run(
        ingest_command(target, home), env=cli_env(**env), cwd=home.parent, capture_output=True, text=True,
        timeout=INGEST_TIMEOUT_S, check=False,
    )
    assert done.returncode == 0, f"datagraph ingest dbt {target} failed: {done.stderr[-2000:]}"


@dataclass(frozen=True)
class GraphState:
    """Everything the graph holds: the current run and every node and edge, each as canonical JSON."""

    run_id: str | None
    nodes: frozenset[str]
    edges: frozenset[str]

    def same_content(self, other: "GraphState") -> bool:
        return (self.nodes, self.edges) == (other.nodes, other.edges)


def graph_state(settings: Settings) -> GraphState:
    """The graph's state, after checking that it holds together: counts agree and no edge dangles."""
    with open_store(settings, read_only=True) as store:
        nodes = list(store.nodes())
        edges = list(store.edges())
        stats = store.stats()
        run = store.current_run()
    ids = {n.id for n in nodes}
    dangling = [e for e in edges if e.source not in ids or e.target not in ids]
    assert not dangling, f"{len(dangling)} edges point at missing nodes, e.g. {dangling[0]}"
    assert (stats.nodes, stats.edges) == (len(nodes), len(edges)), "the graph's counts disagree with its contents"
    return GraphState(
        run_id=run.run_id if run else None,
        nodes=frozenset(canonical_json(n.model_dump(mode="json")) for n in nodes),
        edges=frozenset(canonical_json(e.model_dump(mode="json")) for e in edges),
    )


def token_policy(folder: Path, roles: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A policy file naming each principal of `roles` (name -> role) with a fresh bearer token; the tokens."""
    tokens = {name: new_token() for name in roles}
    principals = "\n".join(
        f"  - {{name: {name}, role: {role}, token_sha256: {tokens[name][1]}}}" for name, role in roles.items()
    )
    path = folder / "policy.yaml"
    path.write_text(POLICY.format(principals=principals), encoding="utf-8")
    return path, {name: token for name, (token, _) in tokens.items()}


async def call_in_session(url: str, token: str, steps: Sequence[Step]) -> list[CallToolResult]:
    """One MCP session over streamable HTTP with `token`, calling each step in turn."""
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            return [await client.call_tool(name, arguments) for name, arguments in steps]


def call_tools(url: str, token: str, *steps: Step) -> list[CallToolResult]:
    return anyio.run(call_in_session, url, token, steps)
