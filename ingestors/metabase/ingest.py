"""Ingest a Metabase export file: read it, parse it against the graph's tables, write one run."""

from collections.abc import Callable
from pathlib import Path

from graph_schema.store import GraphStore
from ingestors.common.outcome import IngestResult
from ingestors.common.report import IngestReport
from ingestors.common.sink import write_run
from ingestors.identity.resolver import StoreCatalogue
from ingestors.metabase.config import MetabaseConfig
from ingestors.metabase.parser import DEFAULT_INSTANCE, parse_export, source_name
from ingestors.metabase.reader import read_export


def ingest_metabase(
    path: Path,
    store: GraphStore,
    config: MetabaseConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """Raises MetabaseExportError (nothing written) when the file cannot be read or is not an export."""
    config = config or MetabaseConfig()
    report = IngestReport(source="metabase")
    with report.timed("read"):
        export = read_export(Path(path))
    instance = config.instance or export.instance or DEFAULT_INSTANCE
    source = source_name(instance)
    report.source = source
    builder = parse_export(export, instance, StoreCatalogue(store), report,
                           include_archived=config.include_archived, progress=progress)
    builder.drop_dangling(lambda ids: set(store.get_many(ids)))
    meta = {"instance": instance, "path": str(path), "warnings": report.warning_count}
    summary = write_run(store, source, builder.work_units(), report, meta)
    report.finish()
    return IngestResult(source=source, report=report, summary=summary)
