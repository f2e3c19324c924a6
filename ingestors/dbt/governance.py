"""Groups (with their owners) and exposures (dashboards, notebooks, apps fed by models)."""

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from ingestors.dbt.context import ParseContext, owners_from_meta, unique
from ingestors.dbt.ids import dbt_node_id
from ingestors.dbt.manifest import Exposure, Group


def add_groups(ctx: ParseContext) -> None:
    """Groups first: every other item resolves its group owner through them."""
    for unique_id, group in ctx.artifacts.manifest.groups.items():
        with ctx.item(unique_id):
            _add_group(ctx, unique_id, group)


def add_exposures(ctx: ParseContext) -> None:
    for unique_id, exposure in ctx.artifacts.manifest.exposures.items():
        with ctx.item(unique_id):
            _add_exposure(ctx, unique_id, exposure)


def _add_group(ctx: ParseContext, unique_id: str, group: Group) -> None:
    owner = group.owner.label()
    owners = (owner,) if owner else ()
    node = Node(
        id=dbt_node_id(NodeKind.GROUP, unique_id),
        kind=NodeKind.GROUP,
        name=group.name,
        qualified_name=f"{ctx.project}.{group.name}",
        description=(group.description or "").strip(),
        owners=owners,
        aliases=(unique_id,),
        props={
            "dbt_unique_ids": [unique_id],
            "owner": group.owner.model_dump(exclude_none=True),
            "file_path": group.original_file_path,
        },
    )
    ctx.add_node(node, unique_id)
    ctx.group_owners[group.name] = owners
    ctx.group_ids[group.name] = node.id


def _add_exposure(ctx: ParseContext, unique_id: str, exposure: Exposure) -> None:
    owner = exposure.owner.label()
    props = {
        "dbt_unique_ids": [unique_id],
        "exposure_type": exposure.type,
        "label": exposure.label,
        "maturity": exposure.maturity,
        "url": exposure.url,
        "owner": exposure.owner.model_dump(exclude_none=True),
        "meta": exposure.meta,
        "file_path": exposure.original_file_path,
    }
    node = Node(
        id=dbt_node_id(NodeKind.EXPOSURE, unique_id),
        kind=NodeKind.EXPOSURE,
        name=exposure.name,
        qualified_name=f"{ctx.project}.{exposure.name}",
        description=exposure.description.strip(),
        owners=unique([owner or "", *owners_from_meta(exposure.meta)]),
        tags=unique(exposure.tags),
        aliases=unique([exposure.label or "", unique_id]),
        props={k: v for k, v in props.items() if v is not None},
    )
    ctx.add_node(node, unique_id)
    for parent in exposure.depends_on.nodes:
        source = ctx.graph_id.get(parent)
        if source is None:
            ctx.report.warn(unique_id, "parse", f"depends on {parent}, which is not in the graph")
            continue
        ctx.add_edge(source, node.id, EdgeKind.FEEDS)
