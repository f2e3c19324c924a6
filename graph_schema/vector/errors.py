"""Typed errors of the vector index and the embedder."""

from graph_schema.errors import DatagraphError


class EmbeddingModelError(DatagraphError):
    """The embedding model is missing or cannot be loaded; nothing is ever downloaded instead."""


class VectorIndexError(DatagraphError):
    """The vector index refused an operation or holds data it cannot use."""


class VectorIndexUnavailableError(VectorIndexError):
    """The vector index cannot be opened or reached; callers may fall back to lexical search."""


class VectorIndexLockedError(VectorIndexUnavailableError):
    """A local index folder is held by another client (local mode admits one at a time)."""
