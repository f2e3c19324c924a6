"""What a LookML field's SQL reads: `${TABLE}.column` references and `${field}` / `${view.field}` references.

LookML field SQL is a template, not a statement: references are substituted before Looker runs it, so
they are found by their syntax, and how the field transforms them follows from the field's type.
"""

import re
from dataclasses import dataclass

from graph_schema.kinds import Transformation
from ingestors.lookml.models import LookmlField, LookmlView

_IDENT = r'"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*'
TABLE_COLUMN = re.compile(r"\$\{TABLE\}\.(" + _IDENT + ")")
FIELD_REF = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\s*\}")
SQL_TABLE_NAME = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\.SQL_TABLE_NAME\s*\}")
LIQUID = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)

AGGREGATE_MEASURES = frozenset({
    "sum", "sum_distinct", "average", "average_distinct", "count", "count_distinct", "min", "max", "median",
    "median_distinct", "percentile", "percentile_distinct", "list", "period_over_period",
})
TIMEFRAMES = frozenset({
    "raw", "time", "time_of_day", "hour", "hour_of_day", "minute", "second", "millisecond", "microsecond", "date",
    "week", "day_of_week", "day_of_week_index", "day_of_month", "day_of_year", "month", "month_num", "month_name",
    "quarter", "quarter_of_year", "fiscal_month_num", "fiscal_quarter", "fiscal_quarter_of_year", "fiscal_year",
    "year", "week_of_year", "yesno",
})


@dataclass(frozen=True)
class FieldSql:
    columns: tuple[str, ...]  # columns of the view's table, as written
    fields: tuple[tuple[str | None, str], ...]  # (view or None for this view, field)
    transformation: Transformation
    expression: str | None


def unquote(identifier: str) -> tuple[str, bool]:
    for left, right in (('"', '"'), ("`", "`"), ("[", "]")):
        if identifier.startswith(left) and identifier.endswith(right) and len(identifier) >= 2:
            return identifier[1:-1].replace(left * 2, left) if left == '"' else identifier[1:-1], True
    return identifier, False


def field_sql(field: LookmlField) -> str | None:
    """The SQL a field is made of; a dimension without `sql` is the column of its own name."""
    if field.kind == "dimension_group" and field.type == "duration":
        parts = [s for s in (field.sql_start, field.sql_end) if s]
        return " - ".join(parts) or None
    if field.sql:
        return field.sql.strip()
    if field.kind in ("dimension", "dimension_group"):
        return f"${{TABLE}}.{field.name}"
    return None


def analyse_field(field: LookmlField) -> FieldSql:
    sql = field_sql(field)
    if sql is None:
        return FieldSql((), (), Transformation.AGGREGATED if field.kind == "measure" else Transformation.DERIVED, None)
    columns = tuple(dict.fromkeys(m.group(1) for m in TABLE_COLUMN.finditer(sql)))
    without_table = TABLE_COLUMN.sub("", sql)
    refs = tuple(dict.fromkeys(
        (m.group(1), m.group(2)) if m.group(2) else (None, m.group(1))
        for m in FIELD_REF.finditer(without_table)
        if m.group(1) != "TABLE" and m.group(2) != "SQL_TABLE_NAME"
    ))
    whole = TABLE_COLUMN.fullmatch(sql) or FIELD_REF.fullmatch(sql)
    if field.kind == "measure" and (field.type or "") in AGGREGATE_MEASURES:
        how = Transformation.AGGREGATED
    elif whole and field.kind == "dimension":
        target = unquote(whole.group(1))[0] if whole.re is TABLE_COLUMN else (whole.group(2) or whole.group(1))
        how = Transformation.PASSTHROUGH if target == field.name else Transformation.RENAMED
    else:
        how = Transformation.DERIVED
    return FieldSql(columns, refs, how, sql)


def find_field(view: LookmlView, name: str) -> LookmlField | None:
    """The field `name` means in a view, including `<group>_<timeframe>` of a dimension group."""
    for field in view.fields:
        if field.name == name:
            return field
    for field in view.fields:
        if field.kind != "dimension_group":
            continue
        if field.type == "duration":
            intervals = field.intervals or ("day", "hour", "minute", "second", "week", "month", "quarter", "year")
            if any(name == f"{i}s_{field.name}" for i in intervals):
                return field
        frames = field.timeframes or tuple(TIMEFRAMES)
        if any(name == f"{field.name}_{frame}" for frame in frames):
            return field
    return None


def combine(outer: Transformation, inner: Transformation) -> Transformation:
    """How a field transforms a column that reached it through a derived table's column."""
    order = [Transformation.PASSTHROUGH, Transformation.RENAMED, Transformation.DERIVED, Transformation.WINDOW,
             Transformation.AGGREGATED]
    return max(outer, inner, key=order.index)
