"""What the vector index stores: one document per asset, its searchable text and its filterable payload."""

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from graph_schema.errors import InvalidIdError
from graph_schema.ids import dataset_of_column, validate_id
from graph_schema.kinds import DATASET_KINDS, NodeKind
from graph_schema.models import Node
from graph_schema.naming import split_name
from graph_schema.vector.cache import text_hash

# Payload keys the index writes itself; a document's own payload may not shadow them.
RESERVED_PAYLOAD_KEYS: frozenset[str] = frozenset({"id", "kind", "name", "qualified_name", "text_hash"})

# The model reads 256 tokens at most; a longer description only costs cache space.
MAX_DESCRIPTION_CHARS = 1000

_WORD_BREAK = re.compile(r"[_\-./\s]+|(?<=[a-z0-9])(?=[A-Z])")


class IndexDoc(BaseModel):
    """One asset as the index sees it. `payload` holds filterable fields (status, schema, domain, tags...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: NodeKind
    name: str = Field(min_length=1)
    qualified_name: str = ""
    text: str = Field(min_length=1)
    payload: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return validate_id(value)

    @field_validator("payload")
    @classmethod
    def _no_reserved_keys(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        clash = sorted(RESERVED_PAYLOAD_KEYS & value.keys())
        if clash:
            raise ValueError(f"payload may not set {', '.join(clash)}: the index writes them itself")
        return value

    @property
    def text_hash(self) -> str:
        return text_hash(self.text)

    def point_payload(self) -> dict[str, Any]:
        """The payload stored with the point; comparing it to the stored one tells whether to write."""
        return {
            **self.payload,
            "id": self.id,
            "kind": self.kind.value,
            "name": self.name,
            "qualified_name": self.qualified_name,
            "text_hash": self.text_hash,
        }


class SearchHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    score: float
    payload: dict[str, JsonValue]

    @property
    def kind(self) -> str:
        return str(self.payload.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.payload.get("name", ""))


def humanise(identifier: str) -> str:
    """`fct_monthlyRevenue` -> `fct monthly revenue`: the words a person would type."""
    return " ".join(part.lower() for part in _WORD_BREAK.split(identifier) if part)


def _prop(node: Node, key: str) -> JsonValue:
    """A property set on the node itself, else in its `meta` (where dbt users put their own fields)."""
    value = node.props.get(key)
    if value is None:
        meta = node.props.get("meta")
        if isinstance(meta, dict):
            value = meta.get(key)
    return value


def _text_prop(node: Node, key: str) -> str:
    value = _prop(node, key)
    return value.strip() if isinstance(value, str) else ""


def synonyms(node: Node) -> list[str]:
    """Other names: `synonyms` (a list or a comma-separated string) on the node and in its meta, and aliases."""
    meta = node.props.get("meta")
    sources = [node.props.get("synonyms"), meta.get("synonyms") if isinstance(meta, dict) else None]
    found: list[str] = list(node.aliases)
    for value in sources:
        if isinstance(value, str):
            found.extend(value.split(","))
        elif isinstance(value, list):
            found.extend(v for v in value if isinstance(v, str))
    seen = {node.name.lower(), node.qualified_name.lower(), _text_prop(node, "label").lower(), ""}
    unique: list[str] = []
    for name in (s.strip() for s in found):
        if name.lower() not in seen:
            seen.add(name.lower())
            unique.append(name)
    return unique


def _column_table(node: Node) -> str:
    """The table a column belongs to: from `db.schema.table.column`, else from the column's id."""
    if "." in node.qualified_name:
        qualified, position = node.qualified_name, -2
    else:
        try:
            qualified, position = dataset_of_column(node.id).rsplit("/", 1)[-1], -1
        except InvalidIdError:
            return ""
    try:
        parts = split_name(qualified)
    except InvalidIdError:
        return ""
    return parts[position] if len(parts) >= -position else ""


def doc_text(node: Node) -> str:
    """The text embedded for a node: its names, other names, kind and description, most telling first."""
    words = humanise(node.name)
    label = _text_prop(node, "label")
    kind_words = node.kind.value.replace("_", " ")
    lines = [f"{label or words} ({kind_words})"]
    if label and humanise(label) != words:
        lines.append(words)
    if node.kind is NodeKind.COLUMN:
        table = _column_table(node)
        if table:
            lines.append(f"column of {humanise(table)}")
    other_names = synonyms(node)
    if other_names:
        lines.append(", ".join(other_names))
    description = node.description.strip()
    if description:
        lines.append(description[:MAX_DESCRIPTION_CHARS])
    if node.tags:
        lines.append(", ".join(node.tags))
    return "\n".join(lines)


def node_status(node: Node) -> str:
    """`deprecated`, `certified` or what `status` says; `active` when nothing says otherwise."""
    status = _text_prop(node, "status").lower()
    if status:
        return status
    tags = {t.lower() for t in node.tags}
    if _prop(node, "deprecated") is True or "deprecated" in tags:
        return "deprecated"
    if _prop(node, "certified") is True or "certified" in tags:
        return "certified"
    return "active"


def _schema(node: Node) -> str:
    schema = _text_prop(node, "schema")
    if schema or node.kind not in DATASET_KINDS:
        return schema
    try:
        parts = split_name(node.qualified_name) if node.qualified_name else []
    except InvalidIdError:
        return ""
    return parts[-2] if len(parts) >= 2 else ""


def doc_from_node(node: Node) -> IndexDoc:
    """The index document of a node: `doc_text` plus status, schema, domain, tags and owners to filter on."""
    payload: dict[str, JsonValue] = {"status": node_status(node), "tags": list(node.tags), "owners": list(node.owners)}
    schema = _schema(node)
    if schema:
        payload["schema"] = schema
    domain = _text_prop(node, "domain")
    if domain:
        payload["domain"] = domain
    return IndexDoc(
        id=node.id,
        kind=node.kind,
        name=node.name,
        qualified_name=node.qualified_name,
        text=doc_text(node),
        payload=payload,
    )
