"""Errors of the Metabase ingestor; each message is one line naming the file (and line or field) and the fault."""

from ingestors.common.errors import BadInputError


class MetabaseExportError(BadInputError):
    """A Metabase export file that is missing, not JSON, or not of the documented shape."""
