"""The semantic layer: semantic models with their entities, dimensions and measures; metrics; saved queries."""

from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from ingestors.dbt.manifest import Measure, Metric, MetricInputRef, SavedQuery, SemanticModel
from ingestors.dbt.context import ParseContext, owners_from_meta, unique
from ingestors.dbt.ids import dbt_node_id, semantic_field_id

GRAINS = ("nanosecond", "microsecond", "millisecond", "second", "minute", "hour", "day", "week", "month",
          "quarter", "year")
MEASURE_AGGS = {"count_distinct": "count(distinct {})", "sum_boolean": "sum(cast({} as integer))"}
PRIMARY_ENTITY_TYPES = ("primary", "unique", "natural")


def add_semantic_layer(ctx: ParseContext) -> None:
    manifest = ctx.artifacts.manifest
    layer = _Layer(ctx)
    for unique_id, model in manifest.semantic_models.items():
        if model.config.enabled:
            with ctx.item(unique_id):
                layer.add_semantic_model(unique_id, model)
    for unique_id, metric in manifest.metrics.items():
        if metric.config.enabled:
            with ctx.item(unique_id):
                layer.add_metric(unique_id, metric)
    layer.link_replacements()
    for unique_id, query in manifest.saved_queries.items():
        if query.config.enabled:
            with ctx.item(unique_id):
                _add_saved_query(ctx, layer, unique_id, query)


def _add_saved_query(ctx: ParseContext, layer: "_Layer", unique_id: str, query: SavedQuery) -> None:
    group = query.group or query.config.group
    node = Node(
        id=dbt_node_id(NodeKind.SAVED_QUERY, unique_id),
        kind=NodeKind.SAVED_QUERY,
        name=query.name,
        qualified_name=f"{ctx.project}.{query.name}",
        description=(query.description or "").strip(),
        owners=unique([*owners_from_meta(query.config.meta), *ctx.group_owners.get(group or "", ())]),
        tags=unique(query.tags),
        aliases=unique([query.label or "", unique_id]),
        props={
            "dbt_unique_ids": [unique_id],
            "label": query.label,
            "metrics": query.query_params.metrics,
            "group_by": query.query_params.group_by,
            "where": query.query_params.where.templates() if query.query_params.where else [],
            "exports": query.exports,
            "file_path": query.original_file_path,
        },
    )
    ctx.add_node(node, unique_id)
    for metric_name in query.query_params.metrics:
        metric_id = layer.metric_ids.get(metric_name)
        if metric_id:
            ctx.add_edge(metric_id, node.id, EdgeKind.FEEDS)
        else:
            ctx.report.warn(unique_id, "parse", f"reads metric {metric_name!r}, which is not in the manifest")
    _member_of(ctx, node.id, group)


def _member_of(ctx: ParseContext, node_id: str, group: str | None) -> None:
    if group and group in ctx.group_ids:
        ctx.add_edge(node_id, ctx.group_ids[group], EdgeKind.MEMBER_OF)


class _Layer:
    """Lookups across the semantic layer: measures by name, entities to the models where they are keys."""

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.measures: dict[str, tuple[str, Measure, SemanticModel]] = {}
        self.metric_ids: dict[str, str] = {}
        self.metrics: dict[str, Metric] = {}
        self.models: dict[str, SemanticModel] = {}
        self.replacements: list[tuple[str, str, str]] = []
        self.metric_uids = {m.name: uid for uid, m in ctx.artifacts.manifest.metrics.items()}

    # ---- semantic models -------------------------------------------------------------------------

    def add_semantic_model(self, unique_id: str, model: SemanticModel) -> None:
        ctx = self.ctx
        self.models[unique_id] = model
        dataset_id = next((ctx.graph_id[p] for p in model.depends_on.nodes if p in ctx.graph_id), None)
        group = model.group or model.config.group
        dataset = ctx.nodes.get(dataset_id) if dataset_id else None
        owners = [*owners_from_meta(model.config.meta), *ctx.group_owners.get(group or "", ())]
        node = Node(
            id=dbt_node_id(NodeKind.SEMANTIC_MODEL, unique_id),
            kind=NodeKind.SEMANTIC_MODEL,
            name=model.name,
            qualified_name=f"{ctx.project}.{model.name}",
            description=(model.description or "").strip(),
            owners=unique(owners or (dataset.owners if dataset else ())),
            aliases=unique([model.label or "", unique_id]),
            props={
                "dbt_unique_ids": [unique_id],
                "model": dataset_id,
                "label": model.label,
                "agg_time_dimension": model.defaults.agg_time_dimension if model.defaults else None,
                "primary_entity": self._primary_entity(model),
                "file_path": model.original_file_path,
            },
        )
        ctx.add_node(node, unique_id)
        if dataset_id is None:
            ctx.report.warn(unique_id, "parse", f"its model {model.model!r} is not in the graph")
        else:
            ctx.add_edge(dataset_id, node.id, EdgeKind.FEEDS)
        _member_of(ctx, node.id, group)
        for entity in model.entities:
            self._add_field(unique_id, node, dataset_id, NodeKind.ENTITY, entity.name, entity.expr, entity.description,
                            entity.label, {"entity_type": entity.type, "expr": entity.expr, "role": entity.role})
        for dim in model.dimensions:
            grain = dim.type_params.time_granularity if dim.type_params else None
            self._add_field(unique_id, node, dataset_id, NodeKind.DIMENSION, dim.name, dim.expr, dim.description,
                            dim.label, {"dimension_type": dim.type, "expr": dim.expr, "time_granularity": grain,
                                        "is_partition": dim.is_partition or None})
        for measure in model.measures:
            expr = None if measure.expr is None else str(measure.expr)
            measure_id = self._add_field(
                unique_id, node, dataset_id, NodeKind.MEASURE, measure.name, expr, measure.description,
                measure.label,
                {"agg": measure.agg, "expr": expr, "expression": _measure_sql(measure),
                 "agg_time_dimension": measure.agg_time_dimension or (
                     model.defaults.agg_time_dimension if model.defaults else None),
                 "non_additive_dimension": measure.non_additive_dimension},
            )
            self.measures[measure.name] = (measure_id, measure, model)

    @staticmethod
    def _primary_entity(model: SemanticModel) -> str | None:
        if model.primary_entity:
            return model.primary_entity
        return next((e.name for e in model.entities if e.type in PRIMARY_ENTITY_TYPES), None)

    def _add_field(self, sm_unique_id: str, sm: Node, dataset_id: str | None, kind: NodeKind, name: str,
                   expr: str | None, description: str | None, label: str | None, props: dict[str, Any]) -> str:
        ctx = self.ctx
        node = Node(
            id=semantic_field_id(kind, sm_unique_id, name),
            kind=kind,
            name=name,
            qualified_name=f"{sm.name}.{name}",
            description=(description or "").strip(),
            aliases=unique([label or ""]),
            props={"semantic_model": sm.id, "label": label, **{k: v for k, v in props.items() if v is not None}},
        )
        ctx.add_node(node)
        ctx.add_edge(sm.id, node.id, EdgeKind.HAS_FIELD)
        if dataset_id is not None:
            for column, transformation in self._columns_of(sm_unique_id, name, expr):
                col_id = ctx.find_column(dataset_id, ctx.fold(column))
                if col_id is None:
                    ctx.report.warn(sm_unique_id, "parse", f"{kind.value} {name!r} reads column {column!r}, "
                                                         "which its model does not have")
                    continue
                ctx.add_edge(col_id, node.id, EdgeKind.FEEDS,
                             {"transformation": transformation, **({"expression": expr} if expr else {})})
        return node.id

    def _columns_of(self, sm_unique_id: str, name: str, expr: str | None) -> list[tuple[str, str]]:
        """The columns a field reads: its name when it has no expr, else the columns its SQL names."""
        if expr is None:
            return [(name, "passthrough")]
        try:
            tree = sqlglot.parse_one(expr, read=self.ctx.dialect)
        except SqlglotError as exc:
            self.ctx.report.warn(sm_unique_id, "parse", f"expr of {name!r} does not parse: {str(exc).splitlines()[0]}")
            return []
        if isinstance(tree, exp.Column):
            return [(tree.name, "passthrough" if tree.name == name else "renamed")]
        return [(name, "derived") for name in dict.fromkeys(c.name for c in tree.find_all(exp.Column)) if name]

    # ---- metrics -------------------------------------------------------------------------------

    def add_metric(self, unique_id: str, metric: Metric) -> None:
        ctx = self.ctx
        meta = metric.all_meta()
        group = metric.group or metric.config.group
        metric_id = dbt_node_id(NodeKind.METRIC, unique_id)
        self.metric_ids[metric.name] = metric_id
        self.metrics[metric.name] = metric
        params = metric.type_params
        synonyms = [s for s in meta.get("synonyms", []) if isinstance(s, str)] if isinstance(
            meta.get("synonyms"), list) else []
        measures = self._measures_of(metric)
        semantic_models = list({m.unique_id: m for _, _, m in measures}.values())
        source_models = [sid for sm in semantic_models if (sid := self._dataset_of(sm))]
        explicit_owners = [*owners_from_meta(meta), *ctx.group_owners.get(group or "", ())]
        inherited = [o for sid in source_models for o in ctx.nodes[sid].owners]
        props: dict[str, Any] = {
            "dbt_unique_ids": [unique_id],
            "type": metric.type,
            "label": metric.label,
            "expression": self._expression(metric),
            "filter": " AND ".join(metric.filter.templates()) if metric.filter else None,
            "time_grains": self._time_grains(metric, measures),
            "type_params": params.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
            "synonyms": synonyms,
            "certified": bool(meta.get("certified", False)),
            "deprecated": bool(meta.get("deprecated", False)),
            "replaced_by": meta.get("replaced_by"),
            "dimensions": self._dimensions(semantic_models),
            "source_models": source_models,
            "semantic_models": [dbt_node_id(NodeKind.SEMANTIC_MODEL, sm.unique_id) for sm in semantic_models],
            "owners_inherited": not explicit_owners and bool(inherited) or None,
            "meta": meta,
            "group": group,
            "file_path": metric.original_file_path,
        }
        node = Node(
            id=metric_id,
            kind=NodeKind.METRIC,
            name=metric.name,
            qualified_name=f"{ctx.project}.{metric.name}",
            description=metric.description.strip(),
            owners=unique(explicit_owners or inherited),
            tags=unique([*metric.tags, *metric.config.tags]),
            aliases=unique([metric.label or "", *synonyms, unique_id]),
            props={k: v for k, v in props.items() if v is not None},
        )
        ctx.add_node(node, unique_id)
        _member_of(ctx, metric_id, group)
        for measure_ref in self._direct_measures(metric):
            known = self.measures.get(measure_ref.name)
            if known is None:
                ctx.report.warn(unique_id, "parse", f"reads measure {measure_ref.name!r}, which no semantic model has")
                continue
            ctx.add_edge(known[0], metric_id, EdgeKind.FEEDS, _input_props(measure_ref))
        for input_ref in self._input_metrics(metric):
            parent_uid = self.metric_uids.get(input_ref.name)
            if parent_uid is None:
                ctx.report.warn(unique_id, "parse", f"reads metric {input_ref.name!r}, which is not in the manifest")
                continue
            ctx.add_edge(dbt_node_id(NodeKind.METRIC, parent_uid), metric_id, EdgeKind.FEEDS, _input_props(input_ref))
        replaced_by = meta.get("replaced_by")
        if isinstance(replaced_by, str) and replaced_by:
            self.replacements.append((unique_id, metric_id, replaced_by))

    def link_replacements(self) -> None:
        for unique_id, metric_id, replacement in self.replacements:
            target = self.metric_ids.get(replacement)
            if target is None:
                self.ctx.report.warn(unique_id, "parse", f"replaced_by names {replacement!r}, which is not a metric")
                continue
            self.ctx.add_edge(metric_id, target, EdgeKind.REPLACED_BY)

    @staticmethod
    def _direct_measures(metric: Metric) -> list[MetricInputRef]:
        params = metric.type_params
        if metric.type == "conversion" and params.conversion_type_params:
            conv = params.conversion_type_params
            return [conv.base_measure, conv.conversion_measure]
        if metric.type in ("simple", "cumulative"):
            if params.measure is not None:
                return [params.measure]
            return list(params.input_measures)
        return []

    @staticmethod
    def _input_metrics(metric: Metric) -> list[MetricInputRef]:
        params = metric.type_params
        if metric.type == "ratio":
            return [r for r in (params.numerator, params.denominator) if r is not None]
        if metric.type == "derived":
            return list(params.metrics)
        return []

    def _measures_of(
        self, metric: Metric, seen: frozenset[str] = frozenset()
    ) -> list[tuple[str, Measure, SemanticModel]]:
        """Every measure a metric ends up reading, through input metrics."""
        out = [self.measures[m.name] for m in self._direct_measures(metric) if m.name in self.measures]
        for ref in self._input_metrics(metric):
            parent = self._metric_by_name(ref.name)
            if parent is not None and ref.name not in seen:
                out.extend(self._measures_of(parent, seen | {metric.name}))
        if not out:
            out = [self.measures[m.name] for m in metric.type_params.input_measures if m.name in self.measures]
        return list({measure_id: (measure_id, m, sm) for measure_id, m, sm in out}.values())

    def _metric_by_name(self, name: str) -> Metric | None:
        uid = self.metric_uids.get(name)
        return self.ctx.artifacts.manifest.metrics.get(uid) if uid else None

    def _dataset_of(self, model: SemanticModel) -> str | None:
        return next((self.ctx.graph_id[p] for p in model.depends_on.nodes if p in self.ctx.graph_id), None)

    def _expression(self, metric: Metric) -> str | None:
        params = metric.type_params
        if metric.type == "derived":
            return params.expr
        if metric.type == "ratio" and params.numerator and params.denominator:
            numerator, denominator = params.numerator, params.denominator
            return f"{numerator.alias or numerator.name} / {denominator.alias or denominator.name}"
        if metric.type == "conversion" and params.conversion_type_params:
            conv = params.conversion_type_params
            calculation = conv.calculation or "conversion_rate"
            return f"{calculation}({conv.base_measure.name} -> {conv.conversion_measure.name})"
        measures = self._direct_measures(metric)
        if measures and measures[0].name in self.measures:
            return _measure_sql(self.measures[measures[0].name][1])
        return params.expr

    def _time_grains(self, metric: Metric, measures: list[tuple[str, Measure, SemanticModel]]) -> list[str]:
        finest = metric.time_granularity
        if finest is None:
            for _, measure, model in measures:
                dim_name = measure.agg_time_dimension or (model.defaults.agg_time_dimension if model.defaults else None)
                dim = next((d for d in model.dimensions if d.name == dim_name), None)
                if dim and dim.type_params and dim.type_params.time_granularity:
                    finest = dim.type_params.time_granularity
                    break
        if finest is None or finest not in GRAINS:
            return []
        return list(GRAINS[GRAINS.index(finest):])

    def _dimensions(self, models: list[SemanticModel]) -> list[str]:
        """Group-by names a metric accepts: metric_time, then `entity__dimension` of its own and joined models."""
        names = ["metric_time"]
        for model in models:
            primary = self._primary_entity(model)
            if primary:
                names.extend(f"{primary}__{d.name}" for d in model.dimensions)
            for entity in model.entities:
                for other in self.models.values():
                    if other is model:
                        continue
                    if any(e.name == entity.name and e.type in PRIMARY_ENTITY_TYPES for e in other.entities):
                        names.extend(f"{entity.name}__{d.name}" for d in other.dimensions)
        return list(dict.fromkeys(names))


def _measure_sql(measure: Measure) -> str:
    expr = str(measure.expr) if measure.expr is not None else measure.name
    template = MEASURE_AGGS.get(measure.agg, measure.agg + "({})")
    return template.format(expr)


def _input_props(ref: MetricInputRef) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if ref.filter:
        props["filter"] = " AND ".join(ref.filter.templates())
    if ref.alias:
        props["alias"] = ref.alias
    if ref.offset_window:
        props["offset_window"] = ref.offset_window if isinstance(ref.offset_window, str) else str(ref.offset_window)
    if ref.offset_to_grain:
        props["offset_to_grain"] = ref.offset_to_grain
    return props

