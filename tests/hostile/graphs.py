"""The server test estate on either graph backend, and what a scoped role may and may not see of it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_schema.config import Settings
from graph_schema.models import Node
from graph_schema.store import GraphStore, open_store
from server.governance.policy import Policy
from server.governance.principal import Principal
from tests.conftest import open_neo4j_store
from tests.server.estate import build_estate
from tests.support.neo4j import wipe_neo4j

SCOPED_POLICY = """
roles:
  scoped:
    tools: [search_assets, get_asset, resolve_metric, trace_lineage, impact_analysis, propose_change,
            review_proposal, recent_changes, record_feedback, read_resources]
    scope:
      include: [{schema: staging}]
  governance: {tools: [audit_log, review_proposal, search_assets]}
  local: {tools: []}
rate_limit: {requests_per_minute: 100000, burst: 100000}
"""
SCOPED = Principal(name="sam", role="scoped")
AUDITOR = Principal(name="gina", role="governance")


def copy_graph(source: GraphStore, target: GraphStore) -> None:
    """Every source's run of `source`, replayed into `target` (edges go with the first run)."""
    nodes = list(source.nodes())
    edges = list(source.edges())
    by_source: dict[str, list[Node]] = {}
    for node_id, names in source.sources_of(n.id for n in nodes).items():
        for name in names:
            by_source.setdefault(name, []).append(next(n for n in nodes if n.id == node_id))
    for index, (name, members) in enumerate(sorted(by_source.items(), key=lambda item: -len(item[1]))):
        with target.begin_run(name) as run:
            run.add_nodes(members)
            if index == 0:
                run.add_edges(edges)


@pytest.fixture(scope="module", params=("embedded", "neo4j"))
def estate_graph(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """The estate on one backend, for this module only."""
    home = tmp_path_factory.mktemp("hostile-estate")
    build_estate(home)
    if request.param == "embedded":
        with open_store(Settings(home=home), read_only=True) as store:
            yield store
        return
    server = request.getfixturevalue("neo4j_server")
    wipe_neo4j(server)
    store = open_neo4j_store(server)
    with open_store(Settings(home=home), read_only=True) as embedded:
        copy_graph(embedded, store)
    yield store
    store.close()


def hidden_names(store: GraphStore, policy: Policy, principal: Principal) -> set[str]:
    """Ids and qualified names of every asset `principal` must not see."""
    hidden: set[str] = set()
    for node in store.nodes():
        if not policy.visible(principal, node):
            hidden.add(node.id)
            if node.qualified_name:
                hidden.add(node.qualified_name)
    return hidden


def assert_nothing_hidden(text: str, hidden: set[str], where: str) -> None:
    leaked = sorted(name for name in hidden if name in text)
    assert not leaked, f"{where} shows assets outside the caller's scope: {leaked[:5]}"


def home_of(tmp: Path) -> Path:
    return tmp / "home"
