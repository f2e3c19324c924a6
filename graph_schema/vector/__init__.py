"""Semantic search over assets: an embedder with a persistent cache, and a Qdrant-backed vector index.

Import the index from `graph_schema.vector.index` and the embedder from `graph_schema.vector.embeddings`;
this package itself stays light so that importing it loads neither qdrant-client nor torch.
"""

from graph_schema.vector.documents import IndexDoc, SearchHit, doc_from_node, doc_text
from graph_schema.vector.errors import (
    EmbeddingModelError,
    VectorIndexError,
    VectorIndexLockedError,
    VectorIndexUnavailableError,
)

__all__ = [
    "EmbeddingModelError",
    "IndexDoc",
    "SearchHit",
    "VectorIndexError",
    "VectorIndexLockedError",
    "VectorIndexUnavailableError",
    "doc_from_node",
    "doc_text",
]
