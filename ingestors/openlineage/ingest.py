"""Ingest OpenLineage events: validate, append to the raw event log, project the log, write one run.

`ingest_events` is what both the CLI (a file) and the HTTP endpoint (a posted batch) call. The graph is
always the projection of the whole log (each job's kept runs), written as the one source `openlineage`,
so that events arriving in any order or in any number of batches give the same graph.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graph_schema.store import GraphStore
from ingestors.common.outcome import IngestResult
from ingestors.common.report import IngestReport
from ingestors.common.sink import write_run
from ingestors.openlineage.config import OpenLineageConfig
from ingestors.openlineage.errors import OpenLineageInputError
from ingestors.openlineage.eventlog import EventLog
from ingestors.openlineage.models import Event, EventError, parse_event
from ingestors.openlineage.projection import SOURCE, project
from ingestors.openlineage.reader import read_events_file


def validate_events(
    placed: Iterable[tuple[str, Any]], report: IngestReport, *, strict: bool
) -> list[tuple[Event, dict[str, Any]]]:
    """Valid events with their raw JSON; an invalid one fails the call (strict) or is reported and skipped."""
    valid: list[tuple[Event, dict[str, Any]]] = []
    for place, raw in placed:
        try:
            valid.append((parse_event(raw), raw))
        except EventError as exc:
            if strict:
                raise OpenLineageInputError(f"{place}: {exc}") from None
            report.fail(place, "validate", str(exc))
    return valid


def ingest_events(
    store: GraphStore,
    events: list[dict[str, Any]],
    home: Path,
    *,
    config: OpenLineageConfig | None = None,
    strict: bool = False,
    origin: str = "event",
) -> IngestResult:
    """Store and project a batch of decoded events (e.g. an HTTP request body).

    With `strict`, one invalid event rejects the batch (OpenLineageInputError, nothing stored); otherwise
    invalid events are listed in the report's failures (`<origin> N`) and the valid ones ingested.
    """
    report = IngestReport(source=SOURCE)
    with report.timed("validate"):
        valid = validate_events(((f"{origin} {i}", raw) for i, raw in enumerate(events, start=1)), report,
                                strict=strict)
    return _store_and_project(store, valid, home, config or OpenLineageConfig(), report)


def ingest_openlineage_file(
    path: Path, store: GraphStore, home: Path, *, config: OpenLineageConfig | None = None, strict: bool = True
) -> IngestResult:
    """A JSON (one event or a list) or NDJSON file of events; faults name the file and line."""
    report = IngestReport(source=SOURCE)
    with report.timed("read"):
        placed = read_events_file(path)
    with report.timed("validate"):
        valid = validate_events(((f"{path}:{line}", raw) for line, raw in placed), report, strict=strict)
    return _store_and_project(store, valid, home, config or OpenLineageConfig(), report)


def _store_and_project(
    store: GraphStore,
    valid: list[tuple[Event, dict[str, Any]]],
    home: Path,
    config: OpenLineageConfig,
    report: IngestReport,
) -> IngestResult:
    with EventLog(home) as log, log.locked():
        with report.timed("store"):
            appended = log.append(valid)
        last_seq = log.last_seq()
        report.stats.update({"events_received": appended.received, "events_new": appended.new,
                             "events_invalid": report.failure_count, "events_in_log": log.count()})
        previous = store.runs(source=SOURCE, limit=1)
        position = f"{log.log_id}:{last_seq}"
        if previous and previous[0].meta.get("log_position") == position:
            # the graph already is the projection of this log
            report.finish()
            return IngestResult(source=SOURCE, report=report, committed=False)
        events = log.projection_events(config.runs_kept)
        builder = project(events, report)
        builder.drop_dangling(lambda ids: set(store.get_many(ids)))
        meta = {"log_position": position, "events_projected": len(events), "runs_kept": config.runs_kept}
        summary = write_run(store, SOURCE, builder.work_units(), report, meta)
    report.finish()
    return IngestResult(source=SOURCE, report=report, summary=summary)
