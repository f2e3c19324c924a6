"""Everything a person may name, read once per graph snapshot: names, labels, synonyms, status and usage.

The catalog is the lexical half of retrieval (exact, synonym, fuzzy and BM25 matching) and holds the graph
priors the ranking uses: certification, deprecation with its replacement, and how many dashboards,
exposures and saved queries use an asset downstream.
"""

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import bm25s
import numpy as np
import numpy.typing as npt

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from graph_schema.store import GraphStore
from graph_schema.vector.documents import humanise, node_status, synonyms
from server.search.text import GRAIN_WORDS, STOPWORDS, token_of, tokens, words

# Every kind a person may name; runs are bookkeeping, not assets.
SEARCHABLE_KINDS: tuple[NodeKind, ...] = tuple(k for k in NodeKind if k is not NodeKind.RUN)
# What "used downstream" counts: things people look at.
CONSUMER_KINDS: frozenset[NodeKind] = frozenset(
    {NodeKind.DASHBOARD, NodeKind.CHART, NodeKind.EXPOSURE, NodeKind.SAVED_QUERY, NodeKind.EXPLORE}
)
# How far upstream of a consumer an asset still counts as used by it.
USAGE_DEPTH = 6
# The props an entry keeps once its names and status are read: scope rules read domain, group and schema.
# Everything else (compiled SQL above all) would only fill memory.
KEPT_PROPS: tuple[str, ...] = ("label", "domain", "group", "schema", "certified", "deprecated", "status")


@dataclass(frozen=True)
class Form:
    """One name of an asset: where it comes from, its text and its tokens."""

    source: str  # name, label, synonym, feedback
    text: str
    tokens: frozenset[str]


@dataclass
class Entry:
    node: Node
    forms: list[Form]
    status: str
    certified: bool
    deprecated: bool
    usage: int = 0
    replaced_by: str | None = None

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def label(self) -> str:
        label = self.node.props.get("label")
        return label if isinstance(label, str) else ""


def _is_machine_alias(alias: str) -> bool:
    # dbt unique ids ('metric.shop.net_revenue') are aliases for lookups, not words a person says
    return " " not in alias and alias.count(".") >= 2


def _forms(node: Node) -> list[Form]:
    seen: set[frozenset[str]] = set()
    out: list[Form] = []

    def add(source: str, text: str) -> None:
        toks = frozenset(tokens(text))
        if toks and toks not in seen:
            seen.add(toks)
            out.append(Form(source, text, toks))

    add("name", node.name)
    label = node.props.get("label")
    if isinstance(label, str) and label:
        add("label", label)
    for other in synonyms(node):
        if not _is_machine_alias(other):
            add("synonym", other)
    return out


def _text_tokens(node: Node, forms: list[Form]) -> list[str]:
    """What BM25 ranks: every name, the description and the tags."""
    parts = [humanise(node.name), *(f.text for f in forms), node.description, " ".join(node.tags)]
    return tokens(" ".join(parts))


def _usage(store: GraphStore, ids: set[str]) -> dict[str, int]:
    """For each asset, how many consumers (dashboards, exposures, ...) read it within USAGE_DEPTH hops."""
    upstream: dict[str, list[str]] = defaultdict(list)
    for edge in store.edges([EdgeKind.FEEDS]):
        upstream[edge.target].append(edge.source)
    # a dashboard contains its charts: what feeds a chart is used by the dashboard too
    for edge in store.edges([EdgeKind.CONTAINS]):
        upstream[edge.source].append(edge.target)
    counts: dict[str, int] = defaultdict(int)
    for consumer in ids:
        seen = {consumer}
        queue = deque([(consumer, 0)])
        while queue:
            current, depth = queue.popleft()
            if depth == USAGE_DEPTH:
                continue
            for parent in upstream.get(current, ()):
                if parent not in seen:
                    seen.add(parent)
                    counts[parent] += 1
                    queue.append((parent, depth + 1))
    return counts


@dataclass
class Catalog:
    """The searchable entries of one snapshot, with a token index over their names and BM25 over their text."""

    snapshot_id: str
    entries: list[Entry]
    by_id: dict[str, int] = field(init=False)
    postings: dict[str, set[int]] = field(init=False)
    # every word of every name and text as written, with its token: what a typo is corrected against
    spellings: dict[str, str] = field(init=False)
    spelling_list: list[str] = field(init=False)
    text_vocabulary: frozenset[str] = field(init=False)
    text_sets: list[frozenset[str]] = field(init=False)
    _bm25: bm25s.BM25 | None = field(init=False, default=None)
    # lower-case id, name, qualified name and aliases -> rows: a query that is literally one of them
    literals: dict[str, set[int]] = field(init=False)
    _rows_cache: dict[str, frozenset[int]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {e.id: i for i, e in enumerate(self.entries)}
        self.literals = defaultdict(set)
        for i, entry in enumerate(self.entries):
            node = entry.node
            for literal in (node.id, node.name, node.qualified_name, *node.aliases):
                if literal:
                    self.literals[literal.lower()].add(i)
        self.postings = defaultdict(set)
        for i, entry in enumerate(self.entries):
            for form in entry.forms:
                for tok in form.tokens:
                    self.postings[tok].add(i)
        corpus = [_text_tokens(e.node, e.forms) or ["_"] for e in self.entries]
        self.text_sets = [frozenset(doc) for doc in corpus]
        self.text_vocabulary = frozenset(t for doc in corpus for t in doc) | frozenset(self.postings)
        self.spellings = {w: token_of(w) for w in GRAIN_WORDS}
        for entry in self.entries:
            text = " ".join([entry.node.name, *(f.text for f in entry.forms), entry.node.description])
            self.spellings.update((w, token_of(w)) for w in words(text) if w not in STOPWORDS and len(w) > 2)
        self.spelling_list = sorted(self.spellings)
        if self.entries:
            self._bm25 = bm25s.BM25()
            self._bm25.index(corpus, show_progress=False)

    def get(self, node_id: str) -> Entry | None:
        index = self.by_id.get(node_id)
        return None if index is None else self.entries[index]

    def bm25(self, query_tokens: list[str]) -> npt.NDArray[np.float32]:
        if self._bm25 is None or not query_tokens:
            return np.zeros(len(self.entries), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)

    def rows_where(self, key: str, allows: Callable[[Node], bool]) -> frozenset[int]:
        """Rows whose node `allows` admits, computed once per `key` (e.g. a role's scope) and snapshot."""
        known = self._rows_cache.get(key)
        if known is None:
            known = frozenset(i for i, e in enumerate(self.entries) if allows(e.node))
            self._rows_cache[key] = known
        return known

    def literal(self, query: str) -> set[int]:
        """Rows the query names literally: by id, name, qualified name or alias, or a qualified-name tail."""
        text = query.strip().lower()
        found = set(self.literals.get(text, ()))
        if "." in text and not found:
            tail = "." + text
            found = {i for i, e in enumerate(self.entries) if e.node.qualified_name.lower().endswith(tail)}
        return found

    def of_kinds(self, kinds: Iterable[NodeKind]) -> list[int]:
        wanted = set(kinds)
        return [i for i, e in enumerate(self.entries) if e.node.kind in wanted]


def _replacement(node: Node, metric_ids_by_name: dict[str, str], replaced: dict[str, str]) -> str | None:
    if node.id in replaced:
        return replaced[node.id]
    name = node.props.get("replaced_by")
    if isinstance(name, str) and name:
        return metric_ids_by_name.get(name, name if ":" in name else None)
    return None


def build_catalog(store: GraphStore) -> Catalog:
    """The catalog of the store's current snapshot."""
    run = store.current_run()
    nodes = list(store.nodes(SEARCHABLE_KINDS))
    replaced = {e.source: e.target for e in store.edges([EdgeKind.REPLACED_BY])}
    metric_ids_by_name = {n.name: n.id for n in nodes if n.kind is NodeKind.METRIC}
    consumers = {n.id for n in nodes if n.kind in CONSUMER_KINDS}
    usage = _usage(store, consumers)
    entries = []
    for node in nodes:
        status = node_status(node)
        lean = node.model_copy(update={"props": {k: node.props[k] for k in KEPT_PROPS if k in node.props}})
        entries.append(
            Entry(
                node=lean,
                forms=_forms(node),
                status=status,
                certified=status == "certified" or node.props.get("certified") is True,
                deprecated=status == "deprecated" or node.props.get("deprecated") is True,
                usage=usage.get(node.id, 0),
                replaced_by=_replacement(node, metric_ids_by_name, replaced),
            )
        )
    return Catalog(snapshot_id=run.run_id if run else "", entries=entries)
