"""Errors of the OpenLineage ingestor; each message is one line naming the file or event and the fault."""

from ingestors.common.errors import BadInputError, IngestError


class OpenLineageInputError(BadInputError):
    """A file that is not JSON or NDJSON OpenLineage events, or an event that is not a valid event."""


class EventLogError(IngestError):
    """The raw event log under DATAGRAPH_HOME cannot be opened or written."""
