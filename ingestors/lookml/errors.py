"""Errors of the LookML ingestor; each message is one line naming the file (and line) and the fault."""

from ingestors.common.errors import BadInputError


class LookmlError(BadInputError):
    """A LookML project folder that is missing, or a file in it that does not parse."""
