"""What an ingestion hands back: the source it wrote as, its report and what the store changed."""

from dataclasses import dataclass, field

from graph_schema.store import RunSummary
from ingestors.common.report import IngestReport


@dataclass
class IngestResult:
    source: str
    report: IngestReport
    summary: RunSummary = field(default_factory=RunSummary)
    # False when nothing was committed (e.g. every event was already stored)
    committed: bool = True
