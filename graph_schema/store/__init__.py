"""The GraphStore interface and its backends (embedded LadybugDB, Neo4j)."""

from graph_schema.store.base import GraphStore, RunWriter
from graph_schema.store.factory import open_store
from graph_schema.store.models import (
    ChangeKind,
    ChangeRecord,
    Direction,
    Neighbour,
    Reached,
    RunInfo,
    RunSummary,
    StoreStats,
    Traversal,
    edge_key,
)

__all__ = [
    "ChangeKind",
    "ChangeRecord",
    "Direction",
    "GraphStore",
    "Neighbour",
    "Reached",
    "RunInfo",
    "RunSummary",
    "RunWriter",
    "StoreStats",
    "Traversal",
    "edge_key",
    "open_store",
]
