"""Models, seeds, snapshots and sources as dataset nodes, with their columns and dataset-level lineage."""

from typing import Any

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from ingestors.dbt.artifacts import CatalogTable
from ingestors.dbt.manifest import ManifestColumn, ManifestNode, SourceNode
from ingestors.dbt.context import ParseContext, owners_from_meta, unique
from ingestors.dbt.ids import relation_name

RELATION_KINDS: dict[str, NodeKind] = {
    "model": NodeKind.MODEL,
    "seed": NodeKind.SEED,
    "snapshot": NodeKind.SNAPSHOT,
}


def add_datasets(ctx: ParseContext) -> None:
    manifest = ctx.artifacts.manifest
    for unique_id, node in manifest.nodes.items():
        kind = RELATION_KINDS.get(node.resource_type)
        if kind is None or not node.config.enabled:
            continue
        with ctx.item(unique_id):
            _add_relation_node(ctx, unique_id, node, kind)
    for unique_id, source in manifest.sources.items():
        if not source.config.enabled:
            continue
        with ctx.item(unique_id):
            _add_source(ctx, unique_id, source)
    for unique_id, node in manifest.nodes.items():
        if unique_id in ctx.graph_id and node.resource_type in RELATION_KINDS:
            with ctx.item(unique_id):
                _add_upstream_edges(ctx, unique_id, node)


def _add_relation_node(ctx: ParseContext, unique_id: str, node: ManifestNode, kind: NodeKind) -> None:
    name = relation_name(ctx.adapter, ctx.authority, node.database, node.schema_, node.identifier)
    if name.id in ctx.nodes:
        # dbt never lets two nodes build one relation; merged, one node's SQL would pass for both
        first = next((uid for uid, node_id in ctx.graph_id.items() if node_id == name.id), "another node")
        raise ValueError(f"names relation {name.name}, which {first} builds already; the first is kept")
    meta = node.all_meta()
    group = node.group_name
    owners = unique([*owners_from_meta(meta), *ctx.group_owners.get(group or "", ())])
    config = node.config
    props: dict[str, Any] = {
        "dbt_unique_ids": [unique_id],
        "resource_type": node.resource_type,
        "package": node.package_name,
        "platform": ctx.platform.name,
        "database": node.database,
        "schema": node.schema_,
        "identifier": node.identifier,
        "relation_name": node.relation_name,
        "materialization": config.materialized,
        "language": node.language,
        "file_path": node.original_file_path,
        "raw_sql": node.raw_code,
        "compiled_sql": node.compiled_code,
        "meta": meta,
        "fqn": node.fqn,
    }
    if kind is NodeKind.MODEL:
        props["access"] = node.access_level or "protected"
        props["contract"] = {"enforced": node.contract_enforced}
    if group:
        props["group"] = group
    if node.version is not None:
        props["version"] = str(node.version)
        props["latest_version"] = str(node.latest_version) if node.latest_version is not None else None
    if config.materialized == "incremental":
        props["unique_key"] = config.unique_key
        props["incremental_strategy"] = config.incremental_strategy
    if kind is NodeKind.SNAPSHOT:
        props["snapshot"] = {
            "strategy": config.strategy, "unique_key": config.unique_key, "updated_at": config.updated_at
        }
    if node.time_spine:
        props["time_spine"] = node.time_spine
    last_run = ctx.last_run(unique_id)
    if last_run:
        props["last_run"] = last_run
    catalog = ctx.artifacts.catalog.table(unique_id) if ctx.artifacts.catalog else None
    if catalog is not None:
        props["warehouse_type"] = catalog.metadata.type
        if catalog.metadata.owner:
            props["warehouse_owner"] = catalog.metadata.owner
    dataset = Node(
        id=name.id,
        kind=kind,
        name=node.name,
        qualified_name=name.name,
        description=node.description.strip(),
        owners=owners,
        tags=unique(node.all_tags()),
        aliases=unique([node.identifier if node.identifier != node.name else "", unique_id]),
        props={k: v for k, v in props.items() if v not in (None, "")},
    )
    ctx.add_node(dataset, unique_id)
    ctx.register_relation(dataset.id, name.name)
    _add_columns(ctx, dataset, node.columns, catalog)
    if group and group in ctx.group_ids:
        ctx.add_edge(dataset.id, ctx.group_ids[group], EdgeKind.MEMBER_OF)


def _add_source(ctx: ParseContext, unique_id: str, source: SourceNode) -> None:
    identifier = source.identifier or source.name
    name = relation_name(ctx.adapter, ctx.authority, source.database, source.schema_, identifier)
    meta = source.all_meta()
    props: dict[str, Any] = {
        "dbt_unique_ids": [unique_id],
        "resource_type": "source",
        "package": source.package_name,
        "platform": ctx.platform.name,
        "database": source.database,
        "schema": source.schema_,
        "identifier": identifier,
        "relation_name": source.relation_name,
        "source_name": source.source_name,
        "source_description": source.source_description.strip() or None,
        "loader": source.loader or None,
        "loaded_at_field": source.loaded_at_field,
        "freshness": source.freshness if _has_freshness(source.freshness) else None,
        "file_path": source.original_file_path,
        "meta": meta,
    }
    catalog = ctx.artifacts.catalog.table(unique_id) if ctx.artifacts.catalog else None
    if catalog is not None:
        props["warehouse_type"] = catalog.metadata.type
    dataset = Node(
        id=name.id,
        kind=NodeKind.SOURCE,
        name=identifier,
        qualified_name=name.name,
        description=source.description.strip(),
        owners=unique(owners_from_meta(meta)),
        tags=unique(source.all_tags()),
        aliases=unique([f"{source.source_name}.{source.name}", unique_id]),
        props={k: v for k, v in props.items() if v is not None},
    )
    merged = ctx.add_node(dataset, unique_id)
    ctx.register_relation(merged.id, name.name)
    _add_columns(ctx, merged, source.columns, catalog)


def _has_freshness(freshness: dict[str, Any] | None) -> bool:
    if not freshness:
        return False
    return any(isinstance(rule, dict) and rule.get("count") for rule in freshness.values())


def _add_columns(
    ctx: ParseContext, dataset: Node, declared: dict[str, ManifestColumn], catalog: CatalogTable | None
) -> None:
    """Columns in warehouse order (catalog) then any the YAML declares that the warehouse lacks."""
    types: dict[str, tuple[str | None, int | None, str | None]] = {}
    if catalog is not None:
        # the catalog spells columns as stored; YAML names are matched to them ignoring case
        for col in sorted(catalog.columns.values(), key=lambda c: c.index or 0):
            types[col.name] = (col.type, col.index, col.comment)
    stored = {name.lower(): name for name in types}
    by_name: dict[str, ManifestColumn] = {}
    for col in declared.values():
        written = col.name if col.quote else ctx.fold(col.name)
        by_name[stored.get(written.lower(), written) if not col.quote else written] = col
    ordered = [*types, *(n for n in by_name if n not in types)]
    for folded in ordered:
        declared_col = by_name.get(folded)
        catalog_type, index, comment = types.get(folded, (None, None, None))
        props: dict[str, Any] = {"dataset": dataset.id}
        if catalog_type:
            props["data_type"], props["data_type_source"] = catalog_type, "catalog"
        elif declared_col is not None and declared_col.data_type:
            props["data_type"], props["data_type_source"] = declared_col.data_type, "manifest"
        if index is not None:
            props["index"] = index
        if comment:
            props["comment"] = comment
        description = ""
        tags: tuple[str, ...] = ()
        if declared_col is not None:
            description = declared_col.description.strip()
            tags = unique(declared_col.all_tags())
            meta = declared_col.all_meta()
            if meta:
                props["meta"] = meta
            if declared_col.constraints:
                props["constraints"] = [c.model_dump(mode="json", exclude_none=True) for c in declared_col.constraints]
            if declared_col.granularity:
                props["granularity"] = declared_col.granularity
        if not declared_col and catalog_type is None:
            continue
        node = Node(
            id=column_id(dataset.id, folded),
            kind=NodeKind.COLUMN,
            name=folded,
            qualified_name=f"{dataset.qualified_name}.{folded}",
            description=description or (comment or ""),
            tags=tags,
            props=props,
        )
        ctx.add_column(dataset.id, node)


def _add_upstream_edges(ctx: ParseContext, unique_id: str, node: ManifestNode) -> None:
    target = ctx.graph_id[unique_id]
    for parent in node.depends_on.nodes:
        source = ctx.graph_id.get(parent)
        if source is None:
            continue  # a parent that is not a relation (a metric, a macro-only node)
        if ctx.nodes[source].kind in (NodeKind.MODEL, NodeKind.SEED, NodeKind.SNAPSHOT, NodeKind.SOURCE):
            ctx.add_edge(source, target, EdgeKind.FEEDS)
