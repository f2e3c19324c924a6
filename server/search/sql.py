"""SQL that computes a metric at one time grain, generated from its semantic model in the warehouse's dialect.

Only what follows soundly from the definition is generated: simple metrics, ratios and derived metrics
whose inputs are simple metrics of one semantic model, and running totals of additive measures. Anything
else (time offsets, trailing windows, conversions, filters that need a join, balances summed across
periods) gets no SQL and a note saying why: a wrong query that runs is worse than none.
"""

import re
from dataclasses import dataclass

import sqlglot
from pydantic import BaseModel
from sqlglot import exp
from sqlglot.errors import SqlglotError

from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from graph_schema.naming import platform
from server.search.definition import MetricInput, SemanticLayer, metric_type, text_prop

GRAINS = ("day", "week", "month", "quarter", "year")
# platform -> sqlglot dialect where the names differ
DIALECTS = {"postgres": "postgres", "sqlserver": "tsql", "mssql": "tsql", "fabric": "tsql", "synapse": "tsql"}
ADDITIVE_AGGS = frozenset({"sum", "count", "sum_boolean"})

_TEMPLATE = re.compile(r"\{\{\s*(Dimension|TimeDimension|Entity|Metric)\(([^)]*)\)\s*\}\}")


class GeneratedSql(BaseModel):
    sql: str | None = None
    grain: str | None = None
    dialect: str | None = None
    note: str | None = None


class NotGenerated(Exception):
    """Why no SQL is generated for a metric; the message is the note the caller reads."""


def dialect_of(dataset: Node) -> str:
    name = text_prop(dataset, "platform") or dataset.id.split("://", 1)[0].split(":", 1)[-1]
    plat = platform(name).name
    return DIALECTS.get(plat, plat)


@dataclass(frozen=True)
class _Source:
    """Where a simple metric's rows come from."""

    semantic_model: Node
    dataset: Node
    dialect: str
    time_expr: exp.Expression
    time_granularity: str | None


@dataclass(frozen=True)
class _Aggregate:
    source: _Source
    expression: exp.Expression  # the aggregate, e.g. SUM(net_amount)
    additive: bool
    non_additive_on: str | None


def _parse(text: str, dialect: str, what: str) -> exp.Expression:
    try:
        return sqlglot.parse_one(text, read=dialect)
    except SqlglotError as exc:
        raise NotGenerated(f"the {what} {text!r} does not parse as {dialect}: {str(exc).splitlines()[0]}") from None


class _Builder:
    def __init__(self, layer: SemanticLayer) -> None:
        self.layer = layer

    def source_of(self, measure: Node) -> _Source:
        sm = self.layer.semantic_model(measure)
        if sm is None:
            raise NotGenerated(f"measure {measure.name} has no semantic model in the graph")
        dataset = self.layer.dataset(sm)
        if dataset is None:
            raise NotGenerated(f"semantic model {sm.name} has no model in the graph")
        dialect = dialect_of(dataset)
        time_name = text_prop(measure, "agg_time_dimension") or text_prop(sm, "agg_time_dimension")
        if time_name is None:
            raise NotGenerated(f"measure {measure.name} has no time dimension")
        time_dim = self.layer.field(sm, NodeKind.DIMENSION, time_name)
        if time_dim is None:
            raise NotGenerated(f"time dimension {time_name} is not in semantic model {sm.name}")
        time_expr = _parse(text_prop(time_dim, "expr") or time_name, dialect, "time dimension")
        return _Source(sm, dataset, dialect, time_expr, text_prop(time_dim, "time_granularity"))

    def aggregate(self, metric: Node, extra_filter: str | None = None, *, inline_filter: bool = True) -> _Aggregate:
        """A simple metric as one aggregate; its filter (and `extra_filter`) move inside as CASE WHEN, unless
        `inline_filter` is False: then the metric's own filter is left for the caller's WHERE."""
        if metric_type(metric) != "simple":
            raise NotGenerated(f"input {metric.name} is a {metric_type(metric) or 'untyped'} metric, not a simple one")
        measures = self.layer.measures_of(metric)
        if len(measures) != 1:
            raise NotGenerated(f"metric {metric.name} reads {len(measures)} measures in the graph, not one")
        measure = measures[0]
        source = self.source_of(measure)
        agg = text_prop(measure, "agg") or ""
        value = _parse(text_prop(measure, "expr") or measure.name, source.dialect, "measure expression")
        own = text_prop(metric, "filter") if inline_filter else None
        conditions = [c for c in (own, extra_filter) if c]
        if conditions:
            where = exp.and_(*(self.condition(c, source) for c in conditions))
            value = exp.Case(ifs=[exp.If(this=where, true=value)])
        non_additive = measure.props.get("non_additive_dimension")
        non_additive_on = non_additive.get("name") if isinstance(non_additive, dict) else None
        return _Aggregate(source, _aggregate(agg, value, measure.name), agg in ADDITIVE_AGGS, non_additive_on)

    def condition(self, template: str, source: _Source) -> exp.Expression:
        """A filter template with its {{ Dimension('entity__name') }} references replaced by column expressions."""

        def replace(match: re.Match[str]) -> str:
            kind, args = match.group(1), [a.strip().strip("'\"") for a in match.group(2).split(",")]
            if kind == "Metric":
                raise NotGenerated("the filter refers to another metric")
            reference = args[0]
            if kind == "TimeDimension" and reference == "metric_time":
                expr = source.time_expr
                if len(args) > 1 and args[1]:
                    expr = exp.DateTrunc(this=expr.copy(), unit=exp.Literal.string(args[1]))
                return expr.sql(dialect=source.dialect)
            return self.column(reference, kind, source).sql(dialect=source.dialect)

        return _parse(_TEMPLATE.sub(replace, template.strip()), source.dialect, "filter")

    def column(self, reference: str, kind: str, source: _Source) -> exp.Expression:
        parts = reference.split("__")
        if len(parts) > 2:
            raise NotGenerated(f"the filter reaches {reference} through several joins")
        sm = source.semantic_model
        name = parts[-1]
        if len(parts) == 2:
            entity = self.layer.field(sm, NodeKind.ENTITY, parts[0])
            if entity is None:
                raise NotGenerated(f"the filter needs entity {parts[0]}, which {sm.name} does not have")
        field_kind = NodeKind.ENTITY if kind == "Entity" else NodeKind.DIMENSION
        node = self.layer.field(sm, field_kind, name)
        if node is None:
            raise NotGenerated(f"the filter needs {reference}, which is not in {sm.name}: it would need a join")
        return _parse(text_prop(node, "expr") or name, source.dialect, f"{field_kind.value} expression")


def _aggregate(agg: str, value: exp.Expression, name: str) -> exp.Expression:
    if agg == "sum":
        return exp.Sum(this=value)
    if agg == "sum_boolean":
        return exp.Sum(this=exp.Cast(this=value, to=exp.DataType.build("int")))
    if agg == "count":
        return exp.Count(this=value)
    if agg == "count_distinct":
        return exp.Count(this=exp.Distinct(expressions=[value]))
    if agg in ("average", "avg"):
        return exp.Avg(this=value)
    if agg == "min":
        return exp.Min(this=value)
    if agg == "max":
        return exp.Max(this=value)
    if agg == "median":
        return exp.Median(this=value)
    raise NotGenerated(f"measure {name} aggregates with {agg or 'nothing'}, which is not generated")


def _safe_division(tree: exp.Expression) -> exp.Expression:
    """x / y becomes x / NULLIF(y, 0): a period with a zero denominator yields NULL instead of failing."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Div):
            return exp.Div(
                this=exp.Cast(this=node.this, to=exp.DataType.build("double")),
                expression=exp.Nullif(this=node.expression, expression=exp.Literal.number(0)),
            )
        return node

    return tree.transform(fix)


def _check_grain(grain: str, metric: Node) -> None:
    grains = metric.props.get("time_grains")
    allowed = [g for g in grains if isinstance(g, str)] if isinstance(grains, list) else list(GRAINS)
    if allowed and grain not in allowed:
        raise NotGenerated(f"{metric.name} is available at {', '.join(allowed)}, not at {grain}")


def _same_source(aggregates: list[_Aggregate]) -> _Source:
    first = aggregates[0].source
    for other in aggregates[1:]:
        if other.source.semantic_model.id != first.semantic_model.id:
            raise NotGenerated(
                f"its inputs come from semantic models {first.semantic_model.name} and "
                f"{other.source.semantic_model.name}, which would need a join on metric_time"
            )
        if other.source.time_expr != first.time_expr:
            raise NotGenerated("its inputs aggregate over different time dimensions")
    return first


def _check_additivity(aggregates: list[_Aggregate], grain: str, source: _Source) -> None:
    for agg in aggregates:
        if agg.non_additive_on and grain != source.time_granularity:
            raise NotGenerated(
                f"it is a balance (non-additive over {agg.non_additive_on}); at {grain} it needs the value of "
                f"one {source.time_granularity} per period, not a sum"
            )


def _select(source: _Source, grain: str, value: exp.Expression, alias: str, where: exp.Expression | None) -> exp.Select:
    metric_time = exp.DateTrunc(this=source.time_expr.copy(), unit=exp.Literal.string(grain))
    table = exp.to_table(text_prop(source.dataset, "relation_name") or source.dataset.qualified_name,
                         dialect=source.dialect)
    query = exp.select(metric_time.as_("metric_time"), exp.alias_(value, alias, quoted=False)).from_(table)
    if where is not None:
        query = query.where(where)
    return query.group_by(exp.Literal.number(1)).order_by(exp.Literal.number(1))


def _input_aggregate(builder: _Builder, ref: MetricInput) -> _Aggregate:
    if ref.offset:
        raise NotGenerated(f"input {ref.alias or ref.name} is offset by {ref.offset}, which needs a time spine join")
    node = builder.layer.metric(ref.name)
    if node is None:
        raise NotGenerated(f"input metric {ref.name} is not in the graph")
    return builder.aggregate(node, ref.filter)


def generate(metric: Node, layer: SemanticLayer, grain: str) -> exp.Select:
    builder = _Builder(layer)
    kind = metric_type(metric)
    if kind == "simple":
        agg = builder.aggregate(metric, inline_filter=False)
        _check_grain(grain, metric)
        _check_additivity([agg], grain, agg.source)
        where = builder.condition(f, agg.source) if (f := text_prop(metric, "filter")) else None
        return _select(agg.source, grain, agg.expression, metric.name, where)
    if kind == "ratio":
        refs = layer.metric_inputs(metric)
        if len(refs) != 2:
            raise NotGenerated("its numerator and denominator are not both known")
        parts = [_input_aggregate(builder, ref) for ref in refs]
        source = _same_source(parts)
        _check_grain(grain, metric)
        _check_additivity(parts, grain, source)
        value = _safe_division(exp.Div(this=parts[0].expression, expression=parts[1].expression))
        where = builder.condition(f, source) if (f := text_prop(metric, "filter")) else None
        return _select(source, grain, value, metric.name, where)
    if kind == "derived":
        refs = layer.metric_inputs(metric)
        expr_text = text_prop(metric, "expression")
        if not refs or expr_text is None:
            raise NotGenerated("its expression or inputs are not in the graph")
        parts = {ref.alias or ref.name: _input_aggregate(builder, ref) for ref in refs}
        source = _same_source(list(parts.values()))
        _check_grain(grain, metric)
        _check_additivity(list(parts.values()), grain, source)
        tree = _parse(expr_text, source.dialect, "derived expression")

        def substitute(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column) and not node.table and node.name in parts:
                return exp.Paren(this=parts[node.name].expression.copy())
            return node

        value = _safe_division(tree.transform(substitute))
        where = builder.condition(f, source) if (f := text_prop(metric, "filter")) else None
        return _select(source, grain, value, metric.name, where)
    if kind == "cumulative":
        return _cumulative(builder, metric, grain)
    raise NotGenerated(f"{kind or 'untyped'} metrics are not generated")


def _cumulative(builder: _Builder, metric: Node, grain: str) -> exp.Select:
    params = metric.props.get("type_params")
    params = params if isinstance(params, dict) else {}
    cumulative = params.get("cumulative_type_params")
    cumulative = cumulative if isinstance(cumulative, dict) else {}
    window = cumulative.get("window") or params.get("window")
    to_date = cumulative.get("grain_to_date") or params.get("grain_to_date")
    if window:
        raise NotGenerated("a trailing-window cumulative metric needs a time spine join, which is not generated")
    measures = builder.layer.measures_of(metric)
    if len(measures) != 1:
        raise NotGenerated(f"metric {metric.name} reads {len(measures)} measures in the graph, not one")
    simple = metric.model_copy(update={"props": {**metric.props, "type": "simple"}})
    agg = builder.aggregate(simple)
    if not agg.additive:
        raise NotGenerated("a running total of a non-additive measure (e.g. a distinct count) cannot be summed")
    _check_grain(grain, metric)
    if isinstance(to_date, str) and GRAINS.index(grain) > GRAINS.index(to_date):
        raise NotGenerated(f"it accumulates within each {to_date}, finer than the grain {grain}")
    query = _select(agg.source, grain, agg.expression, "period_value", None)
    partition = (
        [exp.DateTrunc(this=exp.column("metric_time"), unit=exp.Literal.string(to_date))]
        if isinstance(to_date, str)
        else None
    )
    running = exp.Window(
        this=exp.Sum(this=exp.column("period_value")),
        partition_by=partition,
        order=exp.Order(expressions=[exp.Ordered(this=exp.column("metric_time"))]),
        spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"),
    )
    return (
        exp.select(exp.column("metric_time"), exp.alias_(running, metric.name, quoted=False))
        .from_(query.subquery("periods"))
        .order_by(exp.Literal.number(1))
    )


def metric_sql(metric: Node, layer: SemanticLayer, grain: str | None = None) -> GeneratedSql:
    """The SQL of `metric` at `grain` (its finest grain when None), or a note saying why there is none."""
    grains = metric.props.get("time_grains")
    allowed = [g for g in grains if isinstance(g, str) and g in GRAINS] if isinstance(grains, list) else []
    chosen = grain if grain in GRAINS else None
    if chosen is None or (allowed and chosen not in allowed):
        chosen = allowed[0] if allowed else "day"
    try:
        query = generate(metric, layer, chosen)
    except NotGenerated as exc:
        return GeneratedSql(grain=chosen, note=f"not generated: {exc}")
    dialect = _query_dialect(metric, layer)
    sql = query.sql(dialect=dialect, pretty=True)
    try:
        sqlglot.parse_one(sql, read=dialect)
    except SqlglotError as exc:
        return GeneratedSql(grain=chosen, dialect=dialect, note=f"not generated: it does not parse back: {exc}")
    return GeneratedSql(sql=sql, grain=chosen, dialect=dialect)


def _query_dialect(metric: Node, layer: SemanticLayer) -> str:
    for model_id in metric.props.get("source_models") or []:
        node = layer.nodes.get(model_id) if isinstance(model_id, str) else None
        if node is not None:
            return dialect_of(node)
    return "duckdb"
