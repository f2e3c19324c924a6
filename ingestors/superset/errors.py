"""Errors of the Superset ingestor; each message is one line naming the file (and line or field) and the fault."""

from ingestors.common.errors import BadInputError


class SupersetExportError(BadInputError):
    """Not a Superset export (zip or folder), or a file in it that does not parse or validate."""
