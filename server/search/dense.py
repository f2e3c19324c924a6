"""Dense evidence: cosine similarity of the question's embedding and each asset's, from the snapshot's vector index.

A local index is read into memory once per snapshot and its folder closed again (local mode admits one
client per folder, and a server must not keep an ingest from building the next snapshot); a Qdrant
server is asked directly.
"""

from collections.abc import Iterable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from graph_schema.kinds import NodeKind
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.index import VectorIndex


class DenseScorer(Protocol):
    def similarities(self, query: str, ids: list[str], kinds: Iterable[NodeKind] | None) -> dict[str, float]:
        """Cosine similarity of `query` to each of `ids` the index holds."""
        ...


class InMemoryVectors:
    def __init__(self, ids: list[str], matrix: npt.NDArray[np.float32], embedder: Embedder) -> None:
        self._rows = {node_id: row for row, node_id in enumerate(ids)}
        self._matrix = matrix
        self._embedder = embedder

    def __len__(self) -> int:
        return len(self._rows)

    def similarities(self, query: str, ids: list[str], kinds: Iterable[NodeKind] | None = None) -> dict[str, float]:
        present = [(node_id, self._rows[node_id]) for node_id in ids if node_id in self._rows]
        if not present:
            return {}
        vector = self._embedder.embed_query(query)
        rows = np.fromiter((row for _, row in present), dtype=np.int64, count=len(present))
        scores = self._matrix[rows] @ vector
        return {node_id: float(score) for (node_id, _), score in zip(present, scores, strict=True)}


class ServerVectors:
    """A Qdrant server's collection; asks for the nearest `limit` of the wanted kinds."""

    def __init__(self, index: VectorIndex, limit: int = 200) -> None:
        self._index = index
        self._limit = limit

    def similarities(self, query: str, ids: list[str], kinds: Iterable[NodeKind] | None = None) -> dict[str, float]:
        wanted = set(ids)
        hits = self._index.search(query, limit=max(self._limit, 1), kinds=list(kinds) if kinds else None)
        return {hit.id: hit.score for hit in hits if hit.id in wanted}

    def close(self) -> None:
        self._index.close()
