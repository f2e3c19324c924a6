"""A metric's full definition, read from the graph: its measures, semantic models, time dimension, source models
and columns, and the metrics it is computed from."""

from collections import defaultdict
from dataclasses import dataclass, field

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from graph_schema.store import GraphStore


def text_prop(node: Node, key: str) -> str | None:
    value = node.props.get(key)
    return value if isinstance(value, str) and value else None


def metric_type(node: Node) -> str:
    return text_prop(node, "type") or text_prop(node, "metric_type") or ""


@dataclass(frozen=True)
class MetricInput:
    """An input of a ratio or derived metric: another metric, maybe filtered, aliased or offset in time."""

    name: str
    alias: str | None = None
    filter: str | None = None
    offset: str | None = None


@dataclass
class SemanticLayer:
    """The semantic part of one snapshot: metrics, measures, dimensions, entities and the models behind them."""

    nodes: dict[str, Node]
    metric_by_name: dict[str, str]
    # metric id -> (input node id, edge props) of FEEDS edges into it
    inputs: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)
    # semantic model id -> its field node ids (measures, dimensions, entities)
    fields: dict[str, list[str]] = field(default_factory=dict)
    # measure / dimension id -> ids of the columns it reads
    columns: dict[str, list[str]] = field(default_factory=dict)

    def metric(self, name_or_id: str) -> Node | None:
        node_id = self.metric_by_name.get(name_or_id, name_or_id)
        node = self.nodes.get(node_id)
        return node if node is not None and node.kind is NodeKind.METRIC else None

    def measures_of(self, metric: Node) -> list[Node]:
        """The measures a metric reads directly (simple and cumulative metrics read one)."""
        found = [self.nodes[i] for i, _ in self.inputs.get(metric.id, []) if i in self.nodes]
        return [n for n in found if n.kind is NodeKind.MEASURE]

    def metric_inputs(self, metric: Node) -> list[MetricInput]:
        params = metric.props.get("type_params")
        params = params if isinstance(params, dict) else {}
        refs: list[object] = []
        kind = metric_type(metric)
        if kind == "ratio":
            refs = [params.get("numerator"), params.get("denominator")]
        elif kind == "derived":
            listed = params.get("metrics")
            refs = list(listed) if isinstance(listed, list) else []
        return [ref for raw in refs if (ref := _metric_input(raw)) is not None]

    def semantic_model(self, field_node: Node) -> Node | None:
        sm_id = field_node.props.get("semantic_model")
        return self.nodes.get(sm_id) if isinstance(sm_id, str) else None

    def field(self, semantic_model: Node, kind: NodeKind, name: str) -> Node | None:
        for field_id in self.fields.get(semantic_model.id, []):
            node = self.nodes.get(field_id)
            if node is not None and node.kind is kind and node.name == name:
                return node
        return None

    def dataset(self, semantic_model: Node) -> Node | None:
        model_id = semantic_model.props.get("model")
        return self.nodes.get(model_id) if isinstance(model_id, str) else None


def _filter_text(raw: object) -> str | None:
    """A filter as dbt writes it in type_params: a string, or {where_filters: [{where_sql_template}]}."""
    if isinstance(raw, str):
        return raw.strip() or None
    if isinstance(raw, dict):
        templates = [
            str(f.get("where_sql_template", "")).strip()
            for f in raw.get("where_filters", [])
            if isinstance(f, dict) and f.get("where_sql_template")
        ]
        return " AND ".join(f"({t})" if len(templates) > 1 else t for t in templates) or None
    return None


def _metric_input(raw: object) -> MetricInput | None:
    if isinstance(raw, str):
        return MetricInput(name=raw)
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    offset = raw.get("offset_window") or raw.get("offset_to_grain")
    if isinstance(offset, dict):
        offset = f"{offset.get('count')} {offset.get('granularity')}"
    return MetricInput(
        name=raw["name"],
        alias=raw.get("alias") if isinstance(raw.get("alias"), str) else None,
        filter=_filter_text(raw.get("filter")),
        offset=str(offset) if offset else None,
    )


SEMANTIC_KINDS = (NodeKind.METRIC, NodeKind.MEASURE, NodeKind.DIMENSION, NodeKind.ENTITY, NodeKind.SEMANTIC_MODEL)


def build_semantic_layer(store: GraphStore) -> SemanticLayer:
    nodes = {n.id: n for n in store.nodes(SEMANTIC_KINDS)}
    model_ids = {
        m for n in nodes.values() if n.kind is NodeKind.SEMANTIC_MODEL and isinstance(m := n.props.get("model"), str)
    }
    nodes.update(store.get_many(model_ids))
    inputs: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    columns: dict[str, list[str]] = defaultdict(list)
    for edge in store.edges([EdgeKind.FEEDS]):
        target = nodes.get(edge.target)
        if target is None:
            continue
        if target.kind is NodeKind.METRIC:
            inputs[edge.target].append((edge.source, dict(edge.props)))
        elif target.kind in (NodeKind.MEASURE, NodeKind.DIMENSION) and edge.source.startswith("column:"):
            columns[edge.target].append(edge.source)
    fields: dict[str, list[str]] = defaultdict(list)
    for edge in store.edges([EdgeKind.HAS_FIELD]):
        if edge.source in nodes:
            fields[edge.source].append(edge.target)
    return SemanticLayer(
        nodes=nodes,
        metric_by_name={n.name: n.id for n in nodes.values() if n.kind is NodeKind.METRIC},
        inputs=dict(inputs),
        fields=dict(fields),
        columns=dict(columns),
    )
