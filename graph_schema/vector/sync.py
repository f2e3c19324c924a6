"""One vector index per graph snapshot, kept in step with the graph after each ingest.

Local mode admits one client per folder, so every snapshot gets its own folder, `<home>/vectors/<run_id>`:
it is built in a private folder (a copy of the newest earlier snapshot's, so that only changed texts are
written, and the embedding cache spares re-embedding anything seen before), marked complete, then renamed
into place. Readers never see a half-built index, a server can load one snapshot's vectors while an
ingest builds the next, and two builders of the same snapshot race harmlessly: the first rename wins.
With a Qdrant server (DATAGRAPH_QDRANT_URL) the one shared collection is synced in place.
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from graph_schema.config import Settings
from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from graph_schema.store import GraphStore
from graph_schema.vector.documents import IndexDoc, doc_from_node
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.errors import VectorIndexError
from graph_schema.vector.index import EMBEDDING_CACHE_FILE, VECTORS_DIR, VectorIndex, open_index

# Every kind a person may name; runs are bookkeeping.
INDEXED_KINDS: tuple[NodeKind, ...] = tuple(k for k in NodeKind if k is not NodeKind.RUN)
COMPLETE_MARKER = ".complete"
# Snapshot folders kept besides the current one: a server may still be loading a recent one.
SNAPSHOTS_KEPT = 3
_BUILDING_PREFIX = ".building-"
_LOCK_WAIT_SECONDS = 30.0


class SnapshotIndexReport(BaseModel):
    snapshot_id: str
    location: str
    docs: int
    embedded: int = 0
    payload_updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    copied_from: str | None = None
    already_built: bool = False


def index_doc(node: Node) -> IndexDoc:
    """`doc_from_node` plus what access scopes filter on besides kind and status: the asset's group."""
    doc = doc_from_node(node)
    group = node.props.get("group")
    if isinstance(group, str) and group and "group" not in doc.payload:
        doc = doc.model_copy(update={"payload": {**doc.payload, "group": group}})
    return doc


def index_docs(store: GraphStore) -> list[IndexDoc]:
    return [index_doc(node) for node in store.nodes(INDEXED_KINDS)]


def vectors_root(settings: Settings) -> Path:
    return Path(settings.home) / VECTORS_DIR


def snapshot_folder(settings: Settings, snapshot_id: str) -> Path:
    if not snapshot_id or "/" in snapshot_id or snapshot_id.startswith("."):
        raise VectorIndexError(f"snapshot id {snapshot_id!r} cannot name an index folder")
    return vectors_root(settings) / snapshot_id


def is_complete(folder: Path) -> bool:
    return (folder / COMPLETE_MARKER).is_file()


def complete_snapshots(settings: Settings) -> list[Path]:
    """Built snapshot folders, oldest first (run ids sort by time)."""
    root = vectors_root(settings)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and is_complete(p))


def _embedder(settings: Settings, embedder: Embedder | None) -> tuple[Embedder, bool]:
    if embedder is not None:
        return embedder, False
    return Embedder(cache_path=Path(settings.home) / EMBEDDING_CACHE_FILE), True


def sync_snapshot_index(
    store: GraphStore, settings: Settings, *, embedder: Embedder | None = None
) -> SnapshotIndexReport | None:
    """Make the vector index of the store's current snapshot hold exactly its assets; None for an empty graph.

    Call it after each ingest commit; a server calls it too when it finds no index for its snapshot.
    """
    run = store.current_run()
    if run is None:
        return None
    model, owned = _embedder(settings, embedder)
    try:
        if settings.qdrant_url:
            docs = index_docs(store)
            with open_index(settings, embedder=model) as index:
                report = index.sync(docs)
            return SnapshotIndexReport(
                snapshot_id=run.run_id, location=index.location, docs=len(docs), **report.model_dump()
            )
        return _build_local(store, settings, run.run_id, model)
    finally:
        if owned:
            model.close()


def _build_local(store: GraphStore, settings: Settings, snapshot_id: str, embedder: Embedder) -> SnapshotIndexReport:
    final = snapshot_folder(settings, snapshot_id)
    if is_complete(final):
        return SnapshotIndexReport(snapshot_id=snapshot_id, location=str(final), docs=0, already_built=True)
    root = vectors_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    previous = [p for p in complete_snapshots(settings) if p.name != snapshot_id]
    base = previous[-1] if previous else None
    work = Path(tempfile.mkdtemp(prefix=_BUILDING_PREFIX, dir=root))
    try:
        folder = work / "index"
        if base is not None:
            # the lock file belongs to whoever holds the base folder, not to the copy
            shutil.copytree(base, folder, ignore=shutil.ignore_patterns(".lock", COMPLETE_MARKER))
        docs = index_docs(store)
        with VectorIndex.local(folder, embedder, wait_seconds=_LOCK_WAIT_SECONDS) as index:
            report = index.sync(docs)
        (folder / COMPLETE_MARKER).write_text(snapshot_id + "\n")
        try:
            folder.rename(final)
        except OSError:
            # another builder of this snapshot finished first; its index is the same as ours
            if not is_complete(final):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _prune(settings, keep=final.name)
    return SnapshotIndexReport(
        snapshot_id=snapshot_id,
        location=str(final),
        docs=len(docs),
        copied_from=base.name if base is not None else None,
        **report.model_dump(),
    )


def _prune(settings: Settings, keep: str) -> None:
    folders = complete_snapshots(settings)
    stale = [p for p in folders if p.name != keep][: max(0, len(folders) - 1 - SNAPSHOTS_KEPT)]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)


def load_snapshot_vectors(
    settings: Settings, snapshot_id: str, embedder: Embedder
) -> tuple[list[str], npt.NDArray[np.float32]] | None:
    """The ids and vectors of a built local snapshot index, read into memory; None if it is not built."""
    folder = snapshot_folder(settings, snapshot_id)
    if not is_complete(folder):
        return None
    with VectorIndex.local(folder, embedder, wait_seconds=_LOCK_WAIT_SECONDS) as index:
        return index.vectors()
