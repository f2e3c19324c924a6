"""Node and edge models: what every source writes and every answer reads."""

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationInfo, field_validator, model_validator

from graph_schema.ids import check_kind_matches, validate_id
from graph_schema.kinds import EdgeKind, NodeKind


# Validation context for data a store reads back after validating it on the way in: types are still checked,
# the id grammar and kind checks (plain Python, most of the cost of decoding a node) are not run again.
READ_BACK: dict[str, bool] = {"read_back": True}


def _read_back(info: ValidationInfo) -> bool:
    return info.context is READ_BACK


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:32]


class Node(BaseModel):
    """One asset. `props` holds what is specific to its kind (sql, materialization, type, ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: NodeKind
    name: str = Field(min_length=1, max_length=1024)
    qualified_name: str = ""
    description: str = ""
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    props: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str, info: ValidationInfo) -> str:
        return value if _read_back(info) else validate_id(value)

    @model_validator(mode="after")
    def _kind_matches_id(self, info: ValidationInfo) -> "Node":
        if not _read_back(info):
            check_kind_matches(self.id, self.kind)
        return self

    def content_hash(self) -> str:
        return content_hash(self.model_dump(mode="json"))


class Edge(BaseModel):
    """A directed edge. For data-carrying kinds, source is upstream and target downstream."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    target: str
    kind: EdgeKind
    props: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("source", "target")
    @classmethod
    def _valid_end(cls, value: str, info: ValidationInfo) -> str:
        return value if _read_back(info) else validate_id(value)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.kind.value, self.target)

    def content_hash(self) -> str:
        return content_hash(self.model_dump(mode="json"))
