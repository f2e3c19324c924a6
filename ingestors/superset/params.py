"""Which dataset columns and metrics a chart reads, from its form data (`params`).

Superset charts keep their query as form data whose keys depend on the visualisation. Metrics are saved
metric names or ad-hoc metrics (a column with an aggregate, or an SQL expression); columns are names or
ad-hoc SQL columns. The keys below cover Superset's built-in visualisations.
"""

import json
from dataclasses import dataclass
from typing import Any

METRIC_KEYS = ("metrics", "metric", "metric_2", "secondary_metric", "percent_metrics", "timeseries_limit_metric",
               "size", "x", "y", "metrics_b")
COLUMN_KEYS = ("groupby", "columns", "all_columns", "x_axis", "granularity_sqla", "series", "entity", "groupby_b",
               "groupbyColumns", "groupbyRows", "all_columns_x", "all_columns_y", "dimension", "source", "target",
               "longitude", "latitude")


@dataclass(frozen=True)
class Use:
    """One thing a chart reads: a saved metric, a column, or an SQL expression over the dataset."""

    kind: str  # "metric" (saved metric name), "column" (column name) or "sql" (expression)
    value: str
    used_as: str  # metric, dimension, filter, sort
    aggregate: str | None = None


def _metric(value: Any, used_as: str) -> list[Use]:
    if isinstance(value, str):
        return [Use("metric", value, used_as)]
    if not isinstance(value, dict):
        return []
    if value.get("expressionType") == "SQL" and value.get("sqlExpression"):
        return [Use("sql", str(value["sqlExpression"]), used_as)]
    column = value.get("column")
    if isinstance(column, dict) and column.get("column_name"):
        return [Use("column", str(column["column_name"]), used_as, aggregate=value.get("aggregate"))]
    return []


def _column(value: Any, used_as: str) -> list[Use]:
    if isinstance(value, str):
        return [Use("column", value, used_as)]
    if isinstance(value, dict):
        if value.get("sqlExpression"):
            return [Use("sql", str(value["sqlExpression"]), used_as)]
        if value.get("column_name"):
            return [Use("column", str(value["column_name"]), used_as)]
    return []


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def chart_uses(params: dict[str, Any]) -> list[Use]:
    uses: list[Use] = []
    for key in METRIC_KEYS:
        for value in _listed(params.get(key)):
            uses += _metric(value, "metric")
    for key in COLUMN_KEYS:
        for value in _listed(params.get(key)):
            uses += _column(value, "dimension")
    for flt in _listed(params.get("adhoc_filters")):
        if not isinstance(flt, dict):
            continue
        if flt.get("expressionType") == "SQL" and flt.get("sqlExpression"):
            uses.append(Use("sql", str(flt["sqlExpression"]), "filter"))
        elif isinstance(flt.get("subject"), str):
            uses.append(Use("column", flt["subject"], "filter"))
    for entry in _listed(params.get("order_by_cols")):
        # stored as JSON text: '["column", true]'
        try:
            decoded = json.loads(entry) if isinstance(entry, str) else entry
        except json.JSONDecodeError:
            continue
        if isinstance(decoded, list) and decoded and isinstance(decoded[0], str):
            uses.append(Use("column", decoded[0], "sort"))
    return list(dict.fromkeys(uses))
