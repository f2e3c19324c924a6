"""The vector index: one Qdrant collection of asset embeddings, in a local folder or on a Qdrant server.

Local mode is qdrant-client's embedded engine. It admits one client per folder, across processes and
within one: a client holds an exclusive flock on `<folder>/.lock` from open to close, and another
opener is refused at once (VectorIndexLockedError here; the lock is probed before opening because a
refused qdrant-client open has already read every point). The OS drops the lock when its holder exits,
crash included, so a lock never goes stale. While one process holds the folder no other can read it:
a server that keeps the index open blocks an ingest, and the reverse. Either give each writer its own
folder (`open_index(..., folder=...)`, e.g. one per snapshot) or wait for the holder (`wait_seconds`).
Every written point is its own SQLite commit (about a millisecond) and opening reads all points into
memory (about a quarter second per 5,000): beyond tens of thousands of assets, use a Qdrant server,
which any number of processes share.
"""

import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ApiException

from graph_schema.config import Settings
from graph_schema.errors import DatagraphError
from graph_schema.kinds import NodeKind
from graph_schema.vector.documents import IndexDoc, SearchHit
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.errors import VectorIndexError, VectorIndexLockedError, VectorIndexUnavailableError

COLLECTION = "assets"
VECTORS_DIR = "vectors"
EMBEDDING_CACHE_FILE = "embeddings.sqlite"
# Point ids are uuid5 of the node id in this namespace, so a node keeps its point across runs.
POINT_NAMESPACE = uuid.UUID("5d0f3f8e-52c1-5b8a-9a43-6f1d2f0c7a11")
# Payload fields a server indexes for filtering; local mode scans payloads and has no such indexes.
FILTER_FIELDS = ("kind", "status", "schema", "domain", "tags", "owners")

_WRITE_BATCH = 256
_READ_BATCH = 1024
_LOCK_POLL_SECONDS = 0.2
_SERVER_TIMEOUT_SECONDS = 10

PayloadMatch = str | int | bool | Sequence[str] | Sequence[int]
_T = TypeVar("_T")


class UpsertReport(BaseModel):
    embedded: int = 0  # new or changed text: embedded (unless the cache held it) and written
    payload_updated: int = 0  # same text, new payload: written without embedding
    unchanged: int = 0  # nothing written
    deleted: int = 0


def point_id(node_id: str) -> str:
    return str(uuid.uuid5(POINT_NAMESPACE, node_id))


def _batches(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_unique(docs: Sequence[IndexDoc]) -> None:
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            raise VectorIndexError(f"doc {doc.id!r} appears twice in one write")
        seen.add(doc.id)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _condition(key: str, value: PayloadMatch) -> models.FieldCondition:
    # on a list payload (tags, owners) a match succeeds when any element matches
    if isinstance(value, str | int | bool):
        return models.FieldCondition(key=key, match=models.MatchValue(value=value))
    return models.FieldCondition(key=key, match=models.MatchAny(any=list(value)))


def _kind_values(kinds: Iterable[NodeKind | str]) -> list[str]:
    values = []
    for kind in kinds:
        try:
            values.append(NodeKind(kind).value)
        except ValueError:
            raise VectorIndexError(f"unknown kind {kind!r}; kinds are {', '.join(k.value for k in NodeKind)}") from None
    return values


def build_filter(
    kinds: Iterable[NodeKind | str] | None = None,
    where: Mapping[str, PayloadMatch] | None = None,
    where_not: Mapping[str, PayloadMatch] | None = None,
) -> models.Filter | None:
    """All of `where` (a list value: any of it), none of `where_not`, and a kind among `kinds` if given."""
    must = [_condition(key, value) for key, value in (where or {}).items()]
    kind_values = _kind_values(kinds or ())
    if kind_values:
        must.append(_condition("kind", kind_values))
    must_not = [_condition(key, value) for key, value in (where_not or {}).items()]
    if not must and not must_not:
        return None
    return models.Filter(must=must or None, must_not=must_not or None)


def _held_elsewhere(folder: Path) -> bool:
    """Whether another client holds the folder; asked first because a refused open has read every point."""
    lock_path = folder / ".lock"
    if not lock_path.is_file():
        return False
    # imported here as qdrant-client does: portalocker probes for writable folders when imported
    import portalocker

    with lock_path.open("r+") as handle:
        try:
            portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.exceptions.LockException:
            return True
        portalocker.unlock(handle)
    return False


def _open_local_client(folder: Path, wait_seconds: float) -> QdrantClient:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            if not _held_elsewhere(folder):
                return QdrantClient(path=str(folder))
        except RuntimeError as exc:
            # qdrant-client raises a bare RuntimeError when another client took the lock after our probe
            if "already accessed" not in str(exc):
                raise VectorIndexUnavailableError(
                    f"cannot open vector index folder {folder}: {_one_line(exc)}"
                ) from None
        except (OSError, ValueError) as exc:
            raise VectorIndexUnavailableError(f"cannot open vector index folder {folder}: {_one_line(exc)}") from None
        if time.monotonic() >= deadline:
            raise VectorIndexLockedError(
                f"vector index folder {folder} is open in another process or client (Qdrant local mode "
                "admits one at a time); wait for it to close or set DATAGRAPH_QDRANT_URL to a Qdrant server"
            )
        time.sleep(_LOCK_POLL_SECONDS)


class VectorIndex:
    """Asset embeddings keyed by node id, with a payload to filter on. Use `local`, `remote` or `open_index`."""

    def __init__(
        self,
        client: QdrantClient,
        embedder: Embedder,
        *,
        location: str,
        server: bool,
        collection: str = COLLECTION,
        owns_embedder: bool = False,
    ) -> None:
        self.embedder = embedder
        self.location = location
        self.collection = collection
        self.server = server
        self._client = client
        self._owns_embedder = owns_embedder
        self._closed = False
        try:
            self._ensure_collection()
        except BaseException:
            self.close()
            raise

    @classmethod
    def local(
        cls,
        folder: Path,
        embedder: Embedder,
        *,
        wait_seconds: float = 0.0,
        collection: str = COLLECTION,
        owns_embedder: bool = False,
    ) -> Self:
        """Open (or create) a local index in `folder`, waiting up to `wait_seconds` for another holder."""
        client = _open_local_client(folder, wait_seconds)
        return cls(
            client, embedder, location=str(folder), server=False, collection=collection, owns_embedder=owns_embedder
        )

    @classmethod
    def remote(
        cls,
        url: str,
        embedder: Embedder,
        *,
        api_key: str | None = None,
        collection: str = COLLECTION,
        owns_embedder: bool = False,
    ) -> Self:
        client = QdrantClient(url=url, api_key=api_key, timeout=_SERVER_TIMEOUT_SECONDS, check_compatibility=False)
        return cls(client, embedder, location=url, server=True, collection=collection, owns_embedder=owns_embedder)

    @contextmanager
    def _client_errors(self, action: str) -> Iterator[None]:
        if self._closed:
            raise VectorIndexError(f"vector index {self.location} is closed")
        try:
            yield
        except DatagraphError:
            raise
        except (ApiException, httpx.HTTPError, OSError) as exc:
            raise VectorIndexUnavailableError(
                f"vector index {self.location}: cannot {action}: {_one_line(exc)}"
            ) from None

    def _ensure_collection(self) -> None:
        dim = self.embedder.dimension
        with self._client_errors("open the collection"):
            if not self._client.collection_exists(self.collection):
                self._client.create_collection(
                    self.collection,
                    vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE),
                )
                if self.server:
                    for field in FILTER_FIELDS:
                        self._client.create_payload_index(
                            self.collection, field, field_schema=models.PayloadSchemaType.KEYWORD
                        )
                return
            params = self._client.get_collection(self.collection).config.params.vectors
        if not isinstance(params, models.VectorParams):
            raise VectorIndexError(
                f"collection {self.collection} in {self.location} has named vectors; delete it to rebuild"
            )
        if params.size != dim or params.distance != models.Distance.COSINE:
            raise VectorIndexError(
                f"collection {self.collection} in {self.location} holds {params.size}-dim {params.distance.value} "
                f"vectors but the embedder makes {dim}-dim cosine ones; delete the collection to rebuild it"
            )

    def _payloads(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored payload by point id, for those of `ids` the index holds."""
        found: dict[str, dict[str, Any]] = {}
        with self._client_errors("read points"):
            for batch in _batches(ids, _READ_BATCH):
                records = self._client.retrieve(self.collection, list(batch), with_payload=True, with_vectors=False)
                for record in records:
                    found[str(record.id)] = record.payload or {}
        return found

    def _all_payloads(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        offset: models.ExtendedPointId | None = None
        with self._client_errors("read points"):
            while True:
                records, offset = self._client.scroll(
                    self.collection, limit=_READ_BATCH, offset=offset, with_payload=True, with_vectors=False
                )
                for record in records:
                    found[str(record.id)] = record.payload or {}
                if offset is None:
                    return found

    def upsert(self, docs: Sequence[IndexDoc]) -> UpsertReport:
        """Write new and changed docs; a doc whose text is unchanged is not re-embedded."""
        _check_unique(docs)
        return self._write(docs, self._payloads([point_id(doc.id) for doc in docs]))

    def _write(self, docs: Sequence[IndexDoc], stored: Mapping[str, dict[str, Any]]) -> UpsertReport:
        to_embed: list[IndexDoc] = []
        to_relabel: list[IndexDoc] = []
        unchanged = 0
        for doc in docs:
            old = stored.get(point_id(doc.id))
            if old is None or old.get("text_hash") != doc.text_hash:
                to_embed.append(doc)
            elif old != doc.point_payload():
                to_relabel.append(doc)
            else:
                unchanged += 1
        for batch in _batches(to_embed, _WRITE_BATCH):
            vectors = self.embedder.embed([doc.text for doc in batch])
            points = [
                models.PointStruct(id=point_id(doc.id), vector=vector.tolist(), payload=doc.point_payload())
                for doc, vector in zip(batch, vectors, strict=True)
            ]
            with self._client_errors("write points"):
                self._client.upsert(self.collection, points=points)
        for batch in _batches(to_relabel, _WRITE_BATCH):
            operations = [
                models.OverwritePayloadOperation(
                    overwrite_payload=models.SetPayload(payload=doc.point_payload(), points=[point_id(doc.id)])
                )
                for doc in batch
            ]
            with self._client_errors("write payloads"):
                self._client.batch_update_points(self.collection, update_operations=operations)
        return UpsertReport(embedded=len(to_embed), payload_updated=len(to_relabel), unchanged=unchanged)

    def _delete_points(self, point_ids: Sequence[str]) -> None:
        with self._client_errors("delete points"):
            for batch in _batches(point_ids, _WRITE_BATCH):
                self._client.delete(self.collection, points_selector=models.PointIdsList(points=list(batch)))

    def delete(self, ids: Iterable[str]) -> int:
        """Remove the docs of these node ids; returns how many the index held."""
        present = list(self._payloads([point_id(node_id) for node_id in dict.fromkeys(ids)]))
        self._delete_points(present)
        return len(present)

    def sync(self, docs: Sequence[IndexDoc]) -> UpsertReport:
        """Make the index hold exactly `docs`: upsert them and delete every other doc."""
        _check_unique(docs)
        stored = self._all_payloads()
        report = self._write(docs, stored)
        keep = {point_id(doc.id) for doc in docs}
        gone = [pid for pid in stored if pid not in keep]
        self._delete_points(gone)
        return report.model_copy(update={"deleted": len(gone)})

    def search(
        self,
        query: str,
        limit: int = 10,
        kinds: Iterable[NodeKind | str] | None = None,
        where: Mapping[str, PayloadMatch] | None = None,
        where_not: Mapping[str, PayloadMatch] | None = None,
    ) -> list[SearchHit]:
        """The `limit` docs nearest in meaning to `query`, best first, among those the filters admit."""
        if not query.strip():
            raise VectorIndexError("search query is empty")
        if limit < 1:
            raise VectorIndexError(f"search limit must be at least 1, got {limit}")
        query_filter = build_filter(kinds, where, where_not)
        vector = self.embedder.embed_query(query)
        with self._client_errors("search"):
            response = self._client.query_points(
                self.collection,
                query=vector.tolist(),
                limit=limit,
                query_filter=query_filter,
                with_payload=True,
                with_vectors=False,
            )
        return [
            SearchHit(id=str((point.payload or {}).get("id", "")), score=point.score, payload=point.payload or {})
            for point in response.points
        ]

    def count(self) -> int:
        with self._client_errors("count points"):
            return self._client.count(self.collection, exact=True).count

    def ids(self) -> set[str]:
        """The node ids the index holds."""
        return {str(payload.get("id")) for payload in self._all_payloads().values()}

    def vectors(self) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Every doc's node id and its vector, as rows of one matrix in the same order.

        A reader of a local index takes them into memory and closes the folder, so that it never holds
        the folder's lock while it serves.
        """
        ids: list[str] = []
        rows: list[list[float]] = []
        offset: models.ExtendedPointId | None = None
        with self._client_errors("read vectors"):
            while True:
                records, offset = self._client.scroll(
                    self.collection, limit=_READ_BATCH, offset=offset, with_payload=["id"], with_vectors=True
                )
                for record in records:
                    vector = record.vector
                    if isinstance(vector, list) and record.payload:
                        ids.append(str(record.payload.get("id")))
                        rows.append(vector)
                if offset is None:
                    break
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), self.embedder.dimension)
        return ids, matrix

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._client.close()
        if self._owns_embedder:
            self.embedder.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_index(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    folder: Path | None = None,
    wait_seconds: float = 0.0,
) -> VectorIndex:
    """The index the settings name: a Qdrant server if `qdrant_url` is set, else local mode in `<home>/vectors`.

    Without an `embedder`, one is made with its cache in `<home>`, and closing the index closes it.
    Pass a long-lived embedder to keep the model loaded across reopenings.
    """
    owns = embedder is None
    embedder = embedder or Embedder(cache_path=settings.home / EMBEDDING_CACHE_FILE)
    try:
        if settings.qdrant_url:
            return VectorIndex.remote(settings.qdrant_url, embedder, owns_embedder=owns)
        return VectorIndex.local(
            folder or settings.home / VECTORS_DIR, embedder, wait_seconds=wait_seconds, owns_embedder=owns
        )
    except BaseException:
        if owns:
            embedder.close()
        raise
