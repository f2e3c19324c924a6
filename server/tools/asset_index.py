"""Every asset's names in memory, rebuilt when the graph moves to a new snapshot: ref resolution reads it
instead of scanning the store on every call."""

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from graph_schema.store import GraphStore
from server.governance.scopes import DOMAIN_PROPS


@dataclass(frozen=True)
class IndexedAsset:
    node: Node  # description, tags and the props scope rules read; nothing else of props
    name: str  # lower-cased
    qualified_name: str  # lower-cased
    aliases: tuple[str, ...]  # lower-cased


def _lean(node: Node) -> Node:
    props = {k: node.props[k] for k in DOMAIN_PROPS if k in node.props}
    return node.model_copy(update={"props": props})


class AssetIndex:
    """One snapshot's assets, with lookups by exact name, qualified-name tail and similarity."""

    def __init__(self, snapshot: str | None, nodes: Iterable[Node]) -> None:
        self.snapshot = snapshot
        self.entries: list[IndexedAsset] = []
        self._by_term: dict[str, list[int]] = {}
        for i, node in enumerate(nodes):
            entry = IndexedAsset(
                node=_lean(node),
                name=node.name.lower(),
                qualified_name=node.qualified_name.lower(),
                aliases=tuple(a.lower() for a in node.aliases),
            )
            self.entries.append(entry)
            for term in {entry.name, entry.qualified_name, *entry.aliases} - {""}:
                self._by_term.setdefault(term, []).append(i)
        self._names = [e.name for e in self.entries]
        self._qualified = [e.qualified_name or e.name for e in self.entries]

    def exact(self, text: str) -> list[int]:
        """Indexes of the entries whose name, qualified name or an alias is `text`, ignoring case."""
        return list(self._by_term.get(text.strip().lower(), ()))

    def suffix(self, text: str) -> list[int]:
        """Indexes of the entries whose qualified name ends with `.text` (`schema.table` finds `db.schema.table`)."""
        tail = "." + text.strip().lower()
        return [i for i, e in enumerate(self.entries) if e.qualified_name.endswith(tail)]

    def similar_names(self, text: str, cutoff: float) -> dict[int, float]:
        """Entry index -> similarity (0..1) of `text` to its name or qualified name, for those at `cutoff` or above."""
        query = text.strip().lower()
        found: dict[int, float] = {}
        for choices in (self._names, self._qualified):
            matches = process.extract(query, choices, scorer=fuzz.ratio, score_cutoff=cutoff * 100, limit=None)
            for _, score, i in matches:
                found[i] = max(found.get(i, 0.0), score / 100)
        return found


class AssetIndexCache:
    """The index of the store's current snapshot, built on first use after each new snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: AssetIndex | None = None

    def get(self, store: GraphStore) -> AssetIndex:
        run = store.current_run()
        snapshot = run.run_id if run is not None else None
        with self._lock:
            if self._index is None or self._index.snapshot != snapshot:
                self._index = AssetIndex(snapshot, store.nodes())
            return self._index


def is_column(entry: IndexedAsset) -> bool:
    return entry.node.kind is NodeKind.COLUMN
