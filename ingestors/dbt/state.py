"""What the previous run of a dbt project left in the store that the next run can reuse."""

from collections.abc import Iterable

from graph_schema.ids import dataset_of_column
from graph_schema.kinds import EdgeKind
from graph_schema.models import Edge
from graph_schema.store import GraphStore
from ingestors.dbt.artifacts import DbtArtifacts
from ingestors.dbt.ids import relation_name
from ingestors.dbt.lineage import LINEAGE_KINDS, PRODUCER, PreviousLineage


def model_dataset_ids(artifacts: DbtArtifacts, authority: str | None) -> set[str]:
    adapter = (artifacts.manifest.metadata.adapter_type or "duckdb").lower()
    ids: set[str] = set()
    for node in artifacts.manifest.nodes.values():
        if node.resource_type not in ("model", "snapshot"):
            continue
        try:
            ids.add(relation_name(adapter, authority, node.database, node.schema_, node.identifier).id)
        except ValueError:
            continue  # the parser reports it
    return ids


def previous_lineage(store: GraphStore, dataset_ids: Iterable[str]) -> dict[str, PreviousLineage]:
    """Lineage key, summary and column edges that the store holds for these model datasets."""
    stored = store.get_many(dataset_ids)
    keyed = {
        node_id: node
        for node_id, node in stored.items()
        if isinstance(node.props.get("lineage_key"), str) and isinstance(node.props.get("lineage"), dict)
    }
    if not keyed:
        return {}
    edges: dict[str, list[Edge]] = {node_id: [] for node_id in keyed}
    for edge in store.edges(kinds=LINEAGE_KINDS):
        if edge.props.get("producer") != PRODUCER:
            continue
        target = edge.target if edge.kind is EdgeKind.COLUMN_SHAPES else dataset_of_column(edge.target)
        bucket = edges.get(target)
        if bucket is not None:
            bucket.append(edge)
    return {
        node_id: PreviousLineage(
            lineage_key=str(node.props["lineage_key"]),
            lineage=dict(node.props["lineage"]),  # type: ignore[arg-type]
            edges=tuple(edges[node_id]),
        )
        for node_id, node in keyed.items()
    }
