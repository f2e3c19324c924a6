"""Numbered schema migrations, applied in order; each backend records the last one it applied.

Embedded snapshots are built fresh by every run, so they always get every migration; Neo4j applies the
ones it has not seen when a store opens it. Never edit a published migration: add the next number.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    embedded: tuple[str, ...]
    neo4j: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "assets and edges",
        embedded=(
            "CREATE NODE TABLE Node(id STRING PRIMARY KEY, kind STRING, name STRING, qualified_name STRING,"
            " lookup STRING, sources STRING, data STRING, assertions STRING)",
            "CREATE REL TABLE Edge(FROM Node TO Node, kind STRING, data STRING, sources STRING, assertions STRING)",
        ),
        neo4j=(
            "CREATE CONSTRAINT asset_id IF NOT EXISTS FOR (n:Asset) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX asset_kind IF NOT EXISTS FOR (n:Asset) ON (n.kind)",
            # one relationship type per edge kind (FEEDS, COLUMN_FEEDS, ...): kinds filter without reading props
        ),
    ),
    Migration(
        2,
        "runs and change history",
        embedded=(),
        neo4j=(
            "CREATE CONSTRAINT run_id IF NOT EXISTS FOR (r:DatagraphRun) REQUIRE r.run_id IS UNIQUE",
            "CREATE INDEX change_run IF NOT EXISTS FOR (c:DatagraphChange) ON (c.run_id)",
            "CREATE INDEX change_key IF NOT EXISTS FOR (c:DatagraphChange) ON (c.key)",
        ),
    ),
)

SCHEMA_VERSION: int = MIGRATIONS[-1].number


def pending(applied: int) -> list[Migration]:
    return [m for m in MIGRATIONS if m.number > applied]
