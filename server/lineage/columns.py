"""Columns of a dataset by name, and short display names for nodes."""

from difflib import SequenceMatcher

from graph_schema.errors import InvalidIdError
from graph_schema.ids import column_id, dataset_of_column
from graph_schema.kinds import DATASET_KINDS, EdgeKind, NodeKind
from graph_schema.models import Node
from graph_schema.store import Direction, GraphStore
from server.errors import InvalidArgumentsError, NotFoundError

MAX_LISTED = 8


def resolve_column(store: GraphStore, dataset: Node, name: str) -> Node:
    """Column `name` of `dataset`: spelled as stored, else matched ignoring case; NotFoundError lists columns."""
    if dataset.kind not in DATASET_KINDS:
        raise InvalidArgumentsError(f"{dataset.id} is a {dataset.kind.value}, not a dataset: it has no columns")
    wanted = name.strip()
    try:
        exact = store.get(column_id(dataset.id, wanted))
    except InvalidIdError:
        exact = None
    if exact is not None:
        return exact
    columns = columns_of(store, dataset.id)
    folded = [c for c in columns if c.name.lower() == wanted.lower()]
    if len(folded) == 1:
        return folded[0]
    names = _closest_first(wanted, [c.name for c in columns])
    listed = ", ".join(names[:MAX_LISTED]) + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")
    raise NotFoundError(f"{dataset.name} has no column {wanted!r}" + (f"; its columns: {listed}" if names else ""))


def _closest_first(wanted: str, names: list[str]) -> list[str]:
    """Column names, those containing or resembling `wanted` first."""
    folded = wanted.lower()

    def rank(name: str) -> tuple[int, float, str]:
        lower = name.lower()
        return (0 if folded in lower else 1, -SequenceMatcher(None, folded, lower).ratio(), name)

    return sorted(dict.fromkeys(names), key=rank)


def columns_of(store: GraphStore, dataset_id: str) -> list[Node]:
    return [n.node for n in store.neighbours(dataset_id, Direction.DOWNSTREAM, [EdgeKind.HAS_COLUMN])]


def dataset_id_of(node: Node) -> str | None:
    """The dataset a column belongs to (None for anything else)."""
    if node.kind is not NodeKind.COLUMN:
        return None
    owner = node.props.get("dataset")
    if isinstance(owner, str) and owner:
        return owner
    try:
        return dataset_of_column(node.id)
    except InvalidIdError:
        return None


def display_name(node: Node) -> str:
    """A column as `table.column`, anything else by its name."""
    if node.kind is NodeKind.COLUMN:
        parts = [p for p in node.qualified_name.split(".") if p]
        if len(parts) >= 2:
            return f"{parts[-2]}.{parts[-1]}"
    return node.name
