"""Ingest a Superset export: read it, parse it against the graph's tables, write one run."""

from collections.abc import Callable
from pathlib import Path

from graph_schema.store import GraphStore
from ingestors.common.outcome import IngestResult
from ingestors.common.report import IngestReport
from ingestors.common.sink import write_run
from ingestors.identity.resolver import StoreCatalogue
from ingestors.superset.config import SupersetConfig
from ingestors.superset.parser import parse_export, source_name
from ingestors.superset.reader import read_export


def ingest_superset(
    path: Path,
    store: GraphStore,
    config: SupersetConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """Raises SupersetExportError (nothing written) when the export or one of its files cannot be read."""
    config = config or SupersetConfig()
    source = source_name(config.instance)
    report = IngestReport(source=source)
    with report.timed("read"):
        export = read_export(Path(path))
    builder = parse_export(export, config.instance, StoreCatalogue(store), report, progress)
    builder.drop_dangling(lambda ids: set(store.get_many(ids)))
    meta = {"instance": config.instance, "path": str(path), "warnings": report.warning_count}
    summary = write_run(store, source, builder.work_units(), report, meta)
    report.finish()
    return IngestResult(source=source, report=report, summary=summary)
