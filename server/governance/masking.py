"""PII masking: for roles without pii_clearance, columns tagged pii lose their description and value-bearing props."""

from graph_schema.models import Node
from server.governance.policy_models import PiiSpec
from server.tools.schemas.common import ColumnInfo

MASK = "[masked: pii]"


def is_pii(tags: tuple[str, ...] | list[str], pii: PiiSpec) -> bool:
    wanted = pii.tag.lower()
    return any(t.lower() == wanted for t in tags)


def mask_node(node: Node, pii: PiiSpec) -> Node:
    """`node` with PII details removed if it is tagged pii; otherwise `node` itself."""
    if not is_pii(node.tags, pii):
        return node
    props = {k: v for k, v in node.props.items() if k not in pii.masked_props}
    description = MASK if pii.mask_description and node.description else node.description
    return node.model_copy(update={"props": props, "description": description})


def mask_column(column: ColumnInfo, pii: PiiSpec) -> ColumnInfo:
    if not is_pii(column.tags, pii) or not pii.mask_description or not column.description:
        return column
    return column.model_copy(update={"description": MASK})
