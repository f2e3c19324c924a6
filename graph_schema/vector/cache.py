"""A persistent cache of embeddings, keyed by model and the sha256 of the embedded text.

SQLite in WAL mode, so an ingest and a server embedding at the same time both proceed: readers never
wait, and a writer waits (busy timeout) for the other's short transaction instead of failing.
"""

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt

from graph_schema.vector.errors import VectorIndexUnavailableError

# SQLite's default limit on host parameters is 999 on old builds; stay well under it.
_LOOKUP_CHUNK = 500
_BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
) WITHOUT ROWID
"""

Vector = npt.NDArray[np.float32]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """text_hash -> float32 vector for one model, stored in a SQLite file."""

    def __init__(self, path: Path, model: str) -> None:
        self.path = path
        self.model = model
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # one connection shared by the threads of a server; `_lock` serialises its use
            self._conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise VectorIndexUnavailableError(f"cannot open the embedding cache {path}: {exc}") from None

    def get_many(self, hashes: Iterable[str]) -> dict[str, Vector]:
        wanted = list(dict.fromkeys(hashes))
        found: dict[str, Vector] = {}
        with self._lock, self._errors("read"):
            for start in range(0, len(wanted), _LOOKUP_CHUNK):
                chunk = wanted[start : start + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT text_hash, dim, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
                    (self.model, *chunk),
                ).fetchall()
                for key, dim, blob in rows:
                    vector = np.frombuffer(blob, dtype="<f4")
                    if vector.shape == (dim,):
                        found[key] = vector.astype(np.float32)
        return found

    def put_many(self, vectors: Mapping[str, Vector]) -> None:
        rows = [
            (self.model, key, int(vec.shape[0]), np.ascontiguousarray(vec, dtype="<f4").tobytes())
            for key, vec in vectors.items()
        ]
        with self._lock, self._errors("write"), self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise VectorIndexUnavailableError(f"cannot {action} the embedding cache {self.path}: {exc}") from None

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._conn.execute("SELECT count(*) FROM embeddings WHERE model = ?", (self.model,)).fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
