"""Errors an ingestor raises on purpose. Problems with one item go to the report instead."""

from graph_schema.errors import DatagraphError


class IngestError(DatagraphError):
    """An ingestion could not run at all; nothing was written."""


class BadInputError(IngestError):
    """The input (a file, a folder, a URL) is missing, unreadable or not what the ingestor reads."""
