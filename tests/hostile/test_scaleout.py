"""Scale-out: two `datagraph serve --transport http` replicas, separate processes with homes of their own,
sharing one Neo4j and one PostgreSQL audit store, called at once with the real MCP client.

Both answer the same questions alike, and the single audit chain holds every call of both: the replicas'
writers serialise on a PostgreSQL advisory lock (server/governance/audit_postgres.py), so the chain neither
forks (two entries on one predecessor) nor has gaps.
"""

from contextlib import ExitStack
from pathlib import Path

import pytest

from server.governance.audit import AuditLog
from server.governance.audit_postgres import PostgresAuditStore
from tests.cli.serve_process import http_server_process
from tests.hostile.conftest import HostileTally
from tests.hostile.deploy import (
    ShopVersions,
    call_tools,
    ingest,
    neo4j_env,
    new_home,
    shop_versions,
    token_policy,
)
from tests.hostile.load import MIX, run_clients
from tests.server.calls import structured
from tests.server.conftest import postgres_audit_url
from tests.support.neo4j import Neo4jConnection, wipe_neo4j

__all__ = ["postgres_audit_url", "shop_versions"]  # fixtures, imported so pytest finds them

pytestmark = [pytest.mark.timeout(600), pytest.mark.neo4j, pytest.mark.postgres]

REPLICAS = ("a", "b")
CLIENTS_PER_REPLICA = 6
CALLS_PER_CLIENT = 20


def test_two_replicas_answer_alike_and_keep_one_audit_chain(
    shop_versions: ShopVersions,
    neo4j_server: Neo4jConnection,
    postgres_audit_url: str,
    tmp_path: Path,
    hostile: HostileTally,
) -> None:
    wipe_neo4j(neo4j_server)
    graph = neo4j_env(neo4j_server)
    ingest(shop_versions.v1, new_home(tmp_path / "ingest-home", shop_versions), graph)
    names = {r: [f"{r}{i}" for i in range(CLIENTS_PER_REPLICA)] for r in REPLICAS}
    policy, tokens = token_policy(tmp_path, {name: "analyst" for r in REPLICAS for name in names[r]})
    env = {"DATAGRAPH_POLICY": str(policy), "DATAGRAPH_AUDIT_URL": postgres_audit_url, **graph}
    with ExitStack() as stack:
        urls = {}
        for r in REPLICAS:
            home = new_home(tmp_path / f"home-{r}", shop_versions)
            urls[r], _ = stack.enter_context(http_server_process(home, tmp_path / f"serve-{r}.log", **env))

        # The same questions, by the same principal, get the same answers from either replica.
        answers = {r: [structured(a) for a in call_tools(urls[r], tokens["a0"], *MIX)] for r in REPLICAS}
        for step, first, second in zip(MIX, answers["a"], answers["b"], strict=True):
            assert first == second, f"the replicas answer {step} differently"

        clients = [(urls[r], tokens[name]) for r in REPLICAS for name in names[r]]
        load = run_clients(clients, CALLS_PER_CLIENT)
        made = len(MIX) * len(REPLICAS) + load.calls
        hostile.tried("scale-out", made)
        assert load.errors == [], f"{len(load.errors)} errors, e.g. {load.errors[:3]}"
        print("scale-out:", load.figures())

    log = AuditLog(PostgresAuditStore(postgres_audit_url))
    try:
        report = log.verify()
        entries = list(log.entries())
    finally:
        log.close()
    assert report.ok, report.problem
    assert report.checked == made
    assert [e.seq for e in entries] == list(range(1, made + 1))
    concurrent = [e.principal[0] for e in entries[len(MIX) * len(REPLICAS):]]
    assert sorted(concurrent) == sorted(r for r in REPLICAS for _ in range(CLIENTS_PER_REPLICA * CALLS_PER_CLIENT))
    switches = sum(1 for x, y in zip(concurrent, concurrent[1:]) if x != y)
    # Entries of the two replicas interleave: both wrote the one chain at the same time.
    assert switches > CLIENTS_PER_REPLICA, f"the replicas' entries barely interleave ({switches} switches)"
