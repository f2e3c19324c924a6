"""Typed errors of the ground floor. The CLI and the MCP server turn them into one-line messages."""


class DatagraphError(Exception):
    """Base of every error datagraph raises on purpose; its message is one line a person can act on."""


class InvalidIdError(DatagraphError, ValueError):
    pass


class ConfigError(DatagraphError):
    pass


class StoreError(DatagraphError):
    pass


class StoreUnavailableError(StoreError):
    """The graph backend cannot be reached or opened."""


class RunFailedError(StoreError):
    """An ingestion run could not be committed; the previous state stands."""
