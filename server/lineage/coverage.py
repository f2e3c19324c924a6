"""How complete the column lineage of the datasets on a walk is.

Ingestors that analyse SQL record `props.lineage = {status, coverage, reason?}` on each dataset they built
lineage for: coverage `complete` (every output column traced), `partial` (a star or an unknown table left
gaps) or `unknown` (not analysed: no SQL, a Python model, SQL that did not parse). A model or view without
that record has unknown lineage too; sources, seeds and catalog tables are where data enters, so they need none.
"""

from collections.abc import Iterable
from typing import Literal, NamedTuple

from pydantic import TypeAdapter

from graph_schema.kinds import DATASET_KINDS, NodeKind
from graph_schema.models import Node
from server.tools.schemas.lineage import IncompleteLineage

CoverageStatus = Literal["complete", "partial", "unknown"]
_INCOMPLETE = TypeAdapter(list[IncompleteLineage])  # one validation call for the whole list
# Datasets that are built from others and so should say how.
_DERIVED_KINDS = frozenset({NodeKind.MODEL, NodeKind.SNAPSHOT, NodeKind.VIEW})


class DatasetCoverage(NamedTuple):  # a tuple: answers make one per dataset on the way, hundreds at a time
    # Fields in the order answers list them (status, then name, then id), so tuples sort as listed.
    status: CoverageStatus
    name: str
    id: str
    reason: str


def dataset_coverage(node: Node) -> DatasetCoverage | None:
    """The coverage of one dataset's column lineage; None for a node that needs none."""
    if node.kind not in DATASET_KINDS:
        return None
    lineage = node.props.get("lineage")
    if isinstance(lineage, dict):
        coverage = lineage.get("coverage")
        status: CoverageStatus = coverage if coverage in ("complete", "partial") else "unknown"
        return DatasetCoverage(status, node.name, node.id, _reason(lineage, status))
    if node.kind in _DERIVED_KINDS:
        return DatasetCoverage("unknown", node.name, node.id, "no column lineage recorded")
    return None


def _reason(lineage: dict, status: CoverageStatus) -> str:
    reason = lineage.get("reason")
    if isinstance(reason, str) and reason:
        return reason
    if status == "partial":
        unresolved = lineage.get("unresolved_tables")
        if isinstance(unresolved, list) and unresolved:
            return "reads tables lineage could not resolve: " + ", ".join(str(t) for t in unresolved[:3])
        return "some output columns could not be traced (e.g. a star over unknown columns)"
    if status == "unknown":
        return f"lineage status {lineage.get('status', 'unknown')}"
    return ""


def is_complete(node: Node) -> bool:
    found = dataset_coverage(node)
    return found is None or found.status == "complete"


def summarise(nodes: Iterable[Node]) -> tuple[CoverageStatus, list[IncompleteLineage]]:
    """Overall status and the datasets short of complete, as answers list them: `partial` when any is,
    `complete` otherwise."""
    short = [c for n in nodes if (c := dataset_coverage(n)) is not None and c.status != "complete"]
    short.sort()
    listed = [{"id": c.id, "name": c.name, "status": c.status, "reason": c.reason} for c in short]
    return ("partial" if short else "complete"), _INCOMPLETE.validate_python(listed)
