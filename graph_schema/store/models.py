"""What the GraphStore returns: traversals, runs, changes and stats."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, Node


class Direction(StrEnum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


class Neighbour(BaseModel):
    model_config = ConfigDict(frozen=True)

    edge: Edge
    node: Node


class Reached(NamedTuple):
    """A node reached by a traversal, with one shortest path from the start to it.

    A named tuple, not a pydantic model: traversals return thousands of these from the store's own
    validated data, and answers are shaped into boundary models by their callers.
    """

    id: str
    kind: NodeKind
    name: str
    distance: int
    path: tuple[str, ...]  # node ids from the start node to this one, both included
    via: Edge  # the last edge of the path: the one that reached this node


@dataclass(frozen=True, slots=True)
class Traversal:
    start: tuple[str, ...]
    direction: Direction
    max_depth: int
    reached: list[Reached]
    truncated: bool  # True when the limit on reached nodes cut the answer short

    @property
    def edges(self) -> list[Edge]:
        return [r.via for r in self.reached]


class RunStatus(StrEnum):
    COMMITTED = "committed"
    FAILED = "failed"


class RunSummary(BaseModel):
    nodes_added: int = 0
    nodes_modified: int = 0
    nodes_removed: int = 0
    edges_added: int = 0
    edges_modified: int = 0
    edges_removed: int = 0
    nodes_asserted: int = 0
    edges_asserted: int = 0

    @property
    def changed(self) -> bool:
        return any(
            (self.nodes_added, self.nodes_modified, self.nodes_removed,
             self.edges_added, self.edges_modified, self.edges_removed)
        )


class RunInfo(BaseModel):
    """One ingestion run: the snapshot it produced is identified by `run_id`."""

    run_id: str
    source: str
    started_at: datetime
    finished_at: datetime | None = None
    status: RunStatus = RunStatus.COMMITTED
    parent_run_id: str | None = None
    summary: RunSummary = Field(default_factory=RunSummary)
    meta: dict[str, JsonValue] = Field(default_factory=dict)


class ChangeKind(StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    REMOVED = "removed"


class ChangeRecord(BaseModel):
    """One node or edge that a run added, modified or removed, with its state before and after."""

    run_id: str
    at: datetime
    source: str
    entity: Literal["node", "edge"]
    change: ChangeKind
    key: str = Field(description="Node id, or 'source|kind|target' for an edge.")
    kind: str
    before: dict[str, JsonValue] | None = None
    after: dict[str, JsonValue] | None = None


class StoreStats(BaseModel):
    backend: str
    location: str
    current_run: RunInfo | None
    nodes: int
    edges: int
    nodes_by_kind: dict[str, int]
    edges_by_kind: dict[str, int]
    schema_version: int


def edge_key(source: str, kind: EdgeKind | str, target: str) -> str:
    return f"{source}|{EdgeKind(kind).value}|{target}"
