"""The sink: write a source's work units to the GraphStore as one atomic run."""

from collections.abc import Iterable
from typing import Any

from graph_schema.store import GraphStore, RunSummary
from ingestors.common.bounds import bounded_node
from ingestors.common.report import IngestReport
from ingestors.common.workunit import WorkUnit


def write_run(
    store: GraphStore, source: str, units: Iterable[WorkUnit], report: IngestReport, meta: dict[str, Any] | None = None
) -> RunSummary:
    """Commit every unit in one run; on any error nothing is written and the error propagates. Oversized
    texts are cut first (see `bounds`)."""
    with report.timed("sink"):
        with store.begin_run(source=source, meta=meta or {}) as run:
            for unit in units:
                run.add_nodes([bounded_node(node, report) for node in unit.nodes])
                run.add_edges(unit.edges)
    return run.summary
