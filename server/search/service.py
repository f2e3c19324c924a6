"""The long-lived search state of a server: one snapshot's catalog, semantic layer and vectors, the embedding
model, and the feedback store whose approved items change answers.

Everything is built on first use and rebuilt when the graph moves to a new snapshot (or, for feedback,
when an item is approved). Without a vector index or an embedding model the ranking goes on lexically
and says so in `dense_status`.
"""

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from graph_schema.config import Settings
from graph_schema.errors import DatagraphError
from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from graph_schema.store import GraphStore
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.index import EMBEDDING_CACHE_FILE, open_index
from graph_schema.vector.sync import load_snapshot_vectors, sync_snapshot_index
from server.feedback.errors import FeedbackUnavailableError
from server.feedback.models import FeedbackStatus
from server.feedback.store import FeedbackStore, open_feedback_store
from server.search.catalog import Catalog, build_catalog
from server.search.definition import SemanticLayer, build_semantic_layer
from server.search.dense import DenseScorer, InMemoryVectors, ServerVectors
from server.search.overlay import EMPTY_OVERLAY, Overlay, build_overlay
from server.search.ranking import Scored, rank
from server.search.resolve import resolve
from server.search.text import parse_question
from server.tools.schemas.metrics import ResolveMetricOutput

logger = logging.getLogger(__name__)

Visibility = Callable[[Node], bool]


@dataclass
class Snapshot:
    """What one graph snapshot needs for search, built once."""

    catalog: Catalog
    layer: SemanticLayer
    dense: DenseScorer | None
    dense_status: str
    metric_rows: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.metric_rows = self.catalog.of_kinds([NodeKind.METRIC])

    def close(self) -> None:
        if isinstance(self.dense, ServerVectors):
            self.dense.close()


class SearchService:
    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        feedback: FeedbackStore | None = None,
        use_vectors: bool = True,
    ) -> None:
        self.settings = settings
        self.use_vectors = use_vectors
        self._embedder = embedder
        self._owns_embedder = embedder is None
        self._feedback = feedback
        self._owns_feedback = feedback is None
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._overlay: Overlay = EMPTY_OVERLAY

    # ---- parts ---------------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder(cache_path=self.settings.home / EMBEDDING_CACHE_FILE, threads=1)
            return self._embedder

    @property
    def feedback(self) -> FeedbackStore:
        with self._lock:
            if self._feedback is None:
                self._feedback = open_feedback_store(self.settings)
            return self._feedback

    def snapshot(self, store: GraphStore) -> Snapshot:
        """The search state of the store's current snapshot, built (and its vector index, if missing) on first use."""
        run = store.current_run()
        run_id = run.run_id if run else ""
        current = self._snapshot
        if current is not None and current.catalog.snapshot_id == run_id:
            return current
        with self._lock:
            if self._snapshot is not None and self._snapshot.catalog.snapshot_id == run_id:
                return self._snapshot
        built = self._build(store)
        with self._lock:
            old, self._snapshot = self._snapshot, built
        if old is not None:
            old.close()
        return built

    def _build(self, store: GraphStore) -> Snapshot:
        catalog = build_catalog(store)
        layer = build_semantic_layer(store)
        dense, status = self._dense(store, catalog) if self.use_vectors and catalog.entries else (None, "off")
        return Snapshot(catalog=catalog, layer=layer, dense=dense, dense_status=status)

    def _dense(self, store: GraphStore, catalog: Catalog) -> tuple[DenseScorer | None, str]:
        try:
            embedder = self.embedder
            if self.settings.qdrant_url:
                return ServerVectors(open_index(self.settings, embedder=embedder)), "qdrant server"
            loaded = load_snapshot_vectors(self.settings, catalog.snapshot_id, embedder)
            if loaded is None:
                sync_snapshot_index(store, self.settings, embedder=embedder)
                loaded = load_snapshot_vectors(self.settings, catalog.snapshot_id, embedder)
            if loaded is None:
                return None, "no vector index for this snapshot"
            ids, matrix = loaded
            return InMemoryVectors(ids, matrix, embedder), "local index"
        except (DatagraphError, OSError) as exc:
            # lexical ranking still answers; the reason is logged once per snapshot
            logger.warning("dense ranking off for snapshot %s: %s", catalog.snapshot_id, exc)
            return None, f"off: {exc}"

    def overlay(self) -> Overlay:
        """Approved feedback; re-read only when the count of approved items changed. Without a readable
        feedback store the answers go on from the graph alone (and the last overlay read)."""
        try:
            store = self.feedback
            version = store.version()
            current = self._overlay
            if current.version == version:
                return current
            built = build_overlay(store.list(FeedbackStatus.APPROVED, limit=100_000), version)
        except FeedbackUnavailableError as exc:
            logger.warning("answering without feedback: %s", exc)
            return self._overlay
        with self._lock:
            self._overlay = built
        return built

    # ---- answers -------------------------------------------------------------------------------

    def resolve_metric(
        self,
        store: GraphStore,
        question: str,
        *,
        scope_key: str,
        visible: Visibility,
        limit: int = 3,
        grain: str | None = None,
    ) -> ResolveMetricOutput:
        snap = self.snapshot(store)
        allowed = snap.catalog.rows_where(scope_key, visible)
        rows = [i for i in snap.metric_rows if i in allowed]
        return resolve(snap.catalog, snap.layer, question, rows, dense=snap.dense, overlay=self.overlay(),
                       limit=limit, grain=grain)

    def search(
        self,
        store: GraphStore,
        query: str,
        *,
        scope_key: str,
        visible: Visibility,
        kinds: Collection[NodeKind] | None = None,
        limit: int = 10,
        reads_description: Visibility | None = None,
    ) -> list[Scored]:
        """The best `limit` assets for `query` among those `visible` admits; `reads_description` says whose
        description the caller may read (a masked description must not be found by its words)."""
        snap = self.snapshot(store)
        allowed = snap.catalog.rows_where(scope_key, visible)
        rows = [i for i in allowed if snap.catalog.entries[i].node.kind in kinds] if kinds else allowed
        hidden: frozenset[int] = frozenset()
        if reads_description is not None:
            hidden = allowed - snap.catalog.rows_where(f"{scope_key}#descriptions", reads_description)
        overlay = self.overlay()
        scored = rank(snap.catalog, parse_question(query), rows, dense=snap.dense, kinds=kinds,
                      extra_forms=overlay.forms(snap.catalog), deprecated=overlay.deprecated.keys(),
                      hidden_text=hidden)
        return scored[:limit]

    def close(self) -> None:
        with self._lock:
            snapshot, self._snapshot = self._snapshot, None
            embedder, feedback = self._embedder, self._feedback
        if snapshot is not None:
            snapshot.close()
        if embedder is not None and self._owns_embedder:
            embedder.close()
        if feedback is not None and self._owns_feedback:
            feedback.close()
