"""Plumbing every ingestor shares: typed errors, the ingestion report and the run that writes to the store."""

from ingestors.common.errors import BadInputError, IngestError
from ingestors.common.report import IngestReport, ReportItem
from ingestors.common.workunit import WorkUnit

__all__ = ["BadInputError", "IngestError", "IngestReport", "ReportItem", "WorkUnit"]
