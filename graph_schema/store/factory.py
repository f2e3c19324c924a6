"""Open the GraphStore the settings name: embedded in DATAGRAPH_HOME, or Neo4j by DATAGRAPH_GRAPH_URI."""

from graph_schema.config import Settings
from graph_schema.store.base import GraphStore


def open_store(settings: Settings, *, read_only: bool = False) -> GraphStore:
    if settings.graph_uri:
        from graph_schema.store.neo4j_store import Neo4jStore

        return Neo4jStore(
            settings.graph_uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
        )
    from graph_schema.store.embedded.store import EmbeddedStore

    return EmbeddedStore(settings.home / "graph", snapshots_kept=settings.snapshots_kept, read_only=read_only)
