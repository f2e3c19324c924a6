"""Errors of the catalog ingestor; each message is one line naming the URL (password hidden) and the fault."""

from ingestors.common.errors import BadInputError


class CatalogError(BadInputError):
    """The URL is not a database this ingestor can read, or the database cannot be reached."""
