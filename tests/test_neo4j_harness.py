"""The Neo4j the suite runs against is a real, reachable Neo4j 5.26 that can be wiped between tests."""

from typing import Any

import neo4j
import pytest

from tests.support.neo4j import Neo4jConnection, wipe_neo4j

pytestmark = pytest.mark.neo4j


def _query(server: Neo4jConnection, cypher: str) -> list[dict[str, Any]]:
    with neo4j.GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        records, _, _ = driver.execute_query(cypher, database_=server.database)
    return [record.data() for record in records]


def test_neo4j_answers_cypher_and_is_5_26(neo4j_server: Neo4jConnection) -> None:
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=neo4j_server.auth) as driver:
        agent = driver.get_server_info().agent

    assert _query(neo4j_server, "RETURN 1 AS one") == [{"one": 1}]
    assert agent.startswith("Neo4j/5.26."), agent


def test_wipe_leaves_no_data_and_no_schema(neo4j_server: Neo4jConnection) -> None:
    _query(neo4j_server, "CREATE CONSTRAINT wipe_probe_id IF NOT EXISTS FOR (n:WipeProbe) REQUIRE n.id IS UNIQUE")
    # A name that needs quoting: the wipe must quote schema names it reads back from the server.
    _query(neo4j_server, "CREATE INDEX `wipe probe name` IF NOT EXISTS FOR (n:WipeProbe) ON (n.name)")
    _query(neo4j_server, "CREATE (:WipeProbe {id: 1, name: 'a'})-[:LINKS]->(:WipeProbe {id: 2, name: 'b'})")

    wipe_neo4j(neo4j_server)

    assert _query(neo4j_server, "MATCH (n) RETURN count(n) AS nodes") == [{"nodes": 0}]
    assert _query(neo4j_server, "SHOW CONSTRAINTS YIELD name RETURN name") == []
    assert _query(neo4j_server, "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name") == []
