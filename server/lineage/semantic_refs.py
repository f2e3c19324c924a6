"""Uses of a dimension that the graph keeps as text, not edges: metric filters, saved-query filters and
group-bys (`{{ Dimension('order__order_status') }}`), and measures aggregated over a time dimension.

A dimension is named `<entity>__<dimension>` where the entity is the primary entity of its semantic model;
a longer join path (`order__customer__region`) ends the same way.
"""

import json
import re
from collections.abc import Iterable

from graph_schema.kinds import NodeKind
from graph_schema.models import Node

_DIMENSION_REF = re.compile(r"\b(?:Time)?Dimension\(\s*['\"]([A-Za-z0-9_]+)['\"]", re.IGNORECASE)
# Where the semantic layer's ingestor keeps text that names dimensions.
_TEXT_PROPS = ("filter", "where", "group_by", "type_params")


def dimension_ref(dimension: Node, semantic_model: Node | None) -> str | None:
    """`entity__dimension` for a dimension of a semantic model with a primary entity."""
    if semantic_model is None:
        return None
    entity = semantic_model.props.get("primary_entity")
    if not isinstance(entity, str) or not entity:
        return None
    return f"{entity}__{dimension.name}".lower()


def referenced_dimensions(node: Node, edge_props: Iterable[dict] = ()) -> set[str]:
    """Every `...__dimension` name a metric or saved query mentions, lower-cased."""
    texts = [json.dumps(node.props.get(key), default=str) for key in _TEXT_PROPS if key in node.props]
    texts.extend(json.dumps(props.get("filter"), default=str) for props in edge_props if props.get("filter"))
    return {m.group(1).lower() for text in texts for m in _DIMENSION_REF.finditer(text)}


def mentions(refs: set[str], wanted: str) -> bool:
    """Whether a reference names `wanted` (`entity__dimension`), directly or at the end of a join path."""
    return any(ref == wanted or ref.endswith("__" + wanted) for ref in refs)


def uses_time_dimension(measure: Node, dimension: Node) -> bool:
    """A measure aggregated over `dimension` (its agg_time_dimension) cannot be computed without it."""
    return measure.kind is NodeKind.MEASURE and measure.props.get("agg_time_dimension") == dimension.name
