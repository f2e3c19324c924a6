"""The ingestion report: what a run read, produced, skipped and why, DataHub style.

One bad item never aborts an ingestion; it becomes a warning or a failure here, named by the item, and
the run goes on with everything else.
"""

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, JsonValue

MAX_ITEMS_KEPT = 1000


class Severity(StrEnum):
    WARNING = "warning"
    FAILURE = "failure"


class ReportItem(BaseModel):
    item: str = Field(description="What the problem is about: a node id, a dbt unique_id, a file.")
    stage: str = Field(description="Which step met it: artifacts, parse, lineage, sink, ...")
    severity: Severity
    message: str


class IngestReport(BaseModel):
    source: str
    started_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    nodes_by_kind: dict[str, int] = Field(default_factory=dict)
    edges_by_kind: dict[str, int] = Field(default_factory=dict)
    warnings: list[ReportItem] = Field(default_factory=list)
    failures: list[ReportItem] = Field(default_factory=list)
    warnings_dropped: int = Field(default=0, description="Warnings beyond the kept limit, counted only.")
    failures_dropped: int = 0
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds spent per stage.")
    stats: dict[str, JsonValue] = Field(default_factory=dict, description="Ingestor-specific counters.")

    def warn(self, item: str, stage: str, message: str) -> None:
        if len(self.warnings) < MAX_ITEMS_KEPT:
            self.warnings.append(ReportItem(item=item, stage=stage, severity=Severity.WARNING, message=message))
        else:
            self.warnings_dropped += 1

    def fail(self, item: str, stage: str, message: str) -> None:
        if len(self.failures) < MAX_ITEMS_KEPT:
            self.failures.append(ReportItem(item=item, stage=stage, severity=Severity.FAILURE, message=message))
        else:
            self.failures_dropped += 1

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + self.warnings_dropped

    @property
    def failure_count(self) -> int:
        return len(self.failures) + self.failures_dropped

    def count_output(self, node_kinds: Counter[str], edge_kinds: Counter[str]) -> None:
        self.nodes_by_kind = dict(sorted(node_kinds.items()))
        self.edges_by_kind = dict(sorted(edge_kinds.items()))

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = round(self.timings.get(stage, 0.0) + time.perf_counter() - start, 4)

    def finish(self) -> None:
        self.finished_at = datetime.now(UTC)

    @property
    def duration(self) -> float:
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()
