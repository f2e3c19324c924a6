"""Ingest a database catalog: reflect it, parse it, write one run for the database."""

from collections.abc import Callable

from graph_schema.store import GraphStore
from ingestors.catalog.config import CatalogConfig
from ingestors.catalog.parser import parse_catalog, source_name
from ingestors.catalog.reader import read_catalog
from ingestors.common.outcome import IngestResult
from ingestors.common.report import IngestReport
from ingestors.common.sink import write_run
from ingestors.identity.resolver import EmptyCatalogue


def ingest_catalog(
    config: CatalogConfig | str,
    store: GraphStore,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """Raises CatalogError (nothing written) when the database cannot be read."""
    config = config if isinstance(config, CatalogConfig) else CatalogConfig(url=config)
    report = IngestReport(source="catalog")
    with report.timed("read"):
        snapshot = read_catalog(config)
    source = source_name(snapshot)
    report.source = source
    # a catalog lists every relation it links in full: nothing to look up in the graph
    builder = parse_catalog(snapshot, EmptyCatalogue(), report, view_lineage=config.view_lineage, progress=progress)
    builder.drop_dangling(lambda ids: set(store.get_many(ids)))
    meta = {
        "platform": snapshot.platform,
        "database": snapshot.database,
        "relations": len(snapshot.relations),
        "warnings": report.warning_count,
    }
    summary = write_run(store, source, builder.work_units(), report, meta)
    report.finish()
    return IngestResult(source=source, report=report, summary=summary)
