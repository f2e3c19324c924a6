"""Ingest a LookML project folder: read it, parse it against the graph's tables, write one run."""

from collections.abc import Callable
from pathlib import Path

from graph_schema.store import GraphStore
from ingestors.common.outcome import IngestResult
from ingestors.common.report import IngestReport
from ingestors.common.sink import write_run
from ingestors.identity.resolver import StoreCatalogue
from ingestors.lookml.config import LookmlConfig
from ingestors.lookml.parser import parse_project, source_name
from ingestors.lookml.reader import read_project


def ingest_lookml(
    path: Path,
    store: GraphStore,
    config: LookmlConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """Raises LookmlError (nothing written) when the folder or one of its files cannot be read."""
    config = config or LookmlConfig()
    report = IngestReport(source="lookml")
    with report.timed("read"):
        project = read_project(Path(path), report, config.project)
    source = source_name(project)
    report.source = source
    builder = parse_project(project, config, StoreCatalogue(store), report, progress)
    builder.drop_dangling(lambda ids: set(store.get_many(ids)))
    meta = {"project": project.name, "path": str(path), "warnings": report.warning_count}
    summary = write_run(store, source, builder.work_units(), report, meta)
    report.finish()
    return IngestResult(source=source, report=report, summary=summary)
