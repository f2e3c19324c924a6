"""Shared fixtures: a GraphStore on each backend, each test on an empty graph."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_schema.store.base import GraphStore
from graph_schema.store.embedded.store import EmbeddedStore
from graph_schema.store.neo4j_store import Neo4jStore
from tests.support.fixtures import neo4j_server, postgres_url  # noqa: F401  (session fixtures)
from tests.support.neo4j import wipe_neo4j

# Models are loaded from the installed package, never from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

BACKENDS = ("embedded", "neo4j")


def open_neo4j_store(server) -> Neo4jStore:
    return Neo4jStore(server.uri, user=server.user, password=server.password, database=server.database)


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The shop dbt project built with real dbt on DuckDB, once per session (cached by content)."""
    from datagraph.estate.build import SHOP_PROJECT, build_project

    cache = request.config.cache.mkdir("shop_dbt_build") if request.config.cache is not None else None
    return build_project(SHOP_PROJECT, tmp_path_factory.mktemp("dbt"), cache_dir=cache)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_factory(backend: str, tmp_path: Path, request) -> Iterator:
    """Opens stores on one shared empty graph of the backend under test (several handles = several clients)."""
    opened: list[GraphStore] = []
    server = None
    if backend == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        wipe_neo4j(server)

    def make() -> GraphStore:
        store: GraphStore = open_neo4j_store(server) if server else EmbeddedStore(tmp_path / "graph")
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory) -> GraphStore:
    return store_factory()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say per backend how the GraphStore conformance suite went, so a reader of the log sees both ran."""
    counts: dict[tuple[str, str], int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if not isinstance(report, pytest.TestReport) or not report.nodeid.startswith("tests/store/"):
                continue
            if report.when == "teardown" or (outcome == "passed" and report.when != "call"):
                continue
            nodeid = report.nodeid
            for backend in BACKENDS:
                if f"[{backend}" in nodeid or f"-{backend}]" in nodeid or f"-{backend}-" in nodeid:
                    counts[(backend, outcome)] = counts.get((backend, outcome), 0) + 1
    if not counts:
        return
    terminalreporter.section("GraphStore conformance by backend")
    for backend in BACKENDS:
        parts = [f"{counts[(backend, o)]} {o}" for o in ("passed", "failed", "error", "skipped") if (backend, o) in counts]
        terminalreporter.write_line(f"{backend}: {', '.join(parts) or 'not run'}")
