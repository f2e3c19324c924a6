"""Prefixed, validated node ids.

An id is `<prefix>:<body>`. Datasets of every kind share the prefix `dataset` so that the same physical
relation gets the same id whichever source saw it (see `naming`); a column's id is its dataset's body
plus `#column`. Every other kind uses its own kind as prefix and a source-qualified body.
"""

import re
from urllib.parse import quote

from graph_schema.errors import InvalidIdError
from graph_schema.kinds import DATASET_KINDS, NodeKind

DATASET_PREFIX = "dataset"
MAX_ID_LENGTH = 1024

_PREFIXES: frozenset[str] = frozenset({DATASET_PREFIX} | {k.value for k in NodeKind if k not in DATASET_KINDS})
# Names keep their spelling; only what would break the id grammar (space, control, '#', '%', non-ASCII)
# is percent-encoded.
ID_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in "#%")
_ID_RE = re.compile(r"^(?P<prefix>[a-z_]+):(?P<body>[^\s\x00-\x1f]+)$")


def make_id(prefix: str, body: str) -> str:
    node_id = f"{prefix}:{body}"
    validate_id(node_id)
    return node_id


def validate_id(node_id: str) -> str:
    """Return `node_id` unchanged if it is well-formed, else raise InvalidIdError naming the problem."""
    if not isinstance(node_id, str):
        raise InvalidIdError(f"id must be a string, got {type(node_id).__name__}")
    if len(node_id) > MAX_ID_LENGTH:
        raise InvalidIdError(f"id is {len(node_id)} characters long; the limit is {MAX_ID_LENGTH}")
    match = _ID_RE.match(node_id)
    if match is None:
        raise InvalidIdError(f"id {node_id[:80]!r} is not of the form '<prefix>:<body>' without spaces")
    if match["prefix"] not in _PREFIXES:
        raise InvalidIdError(f"id {node_id[:80]!r} has unknown prefix {match['prefix']!r}")
    return node_id


def id_prefix(node_id: str) -> str:
    return node_id.split(":", 1)[0]


def is_id(text: str) -> bool:
    try:
        validate_id(text)
    except InvalidIdError:
        return False
    return True


def prefix_for_kind(kind: NodeKind) -> str:
    return DATASET_PREFIX if kind in DATASET_KINDS else kind.value


def check_kind_matches(node_id: str, kind: NodeKind) -> None:
    expected = prefix_for_kind(kind)
    if id_prefix(node_id) != expected:
        raise InvalidIdError(f"id {node_id[:80]!r} of a {kind.value} must start with '{expected}:'")


def column_id(dataset_id: str, column: str) -> str:
    """The id of column `column` of dataset `dataset_id` (column names are kept as the dataset spells them)."""
    if id_prefix(dataset_id) != DATASET_PREFIX:
        raise InvalidIdError(f"{dataset_id[:80]!r} is not a dataset id")
    body = dataset_id.split(":", 1)[1]
    return make_id(NodeKind.COLUMN.value, f"{body}#{quote(column, safe=ID_SAFE)}")


def dataset_of_column(col_id: str) -> str:
    """The dataset id a column id belongs to."""
    if id_prefix(col_id) != NodeKind.COLUMN.value or "#" not in col_id:
        raise InvalidIdError(f"{col_id[:80]!r} is not a column id")
    body = col_id.split(":", 1)[1].rsplit("#", 1)[0]
    return f"{DATASET_PREFIX}:{body}"
