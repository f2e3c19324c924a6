"""Column lineage of SQL a BI tool runs (a Superset virtual dataset, a Metabase native question, a LookML
derived table), with its table names resolved through the tool's connection before analysis.

Table names are resolved first (see `resolver`) and written back fully qualified, so the lineage engine
sees exactly the tables the other sources know and the answer maps straight onto dataset ids. A table
that cannot be resolved is left as written and its columns are dropped from the answer (reported).
"""

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from graph_schema.errors import InvalidIdError
from graph_schema.naming import split_name
from graph_schema.sql_lineage import SqlLineageError, analyze
from ingestors.common.report import IngestReport
from ingestors.identity.builder import GraphBuilder
from ingestors.identity.resolver import TableResolver

STAGE = "lineage"


@dataclass(frozen=True)
class SourceColumn:
    dataset_id: str
    column: str
    transformation: str
    confidence: float
    expression: str | None = None


@dataclass(frozen=True)
class Shaping:
    dataset_id: str
    column: str
    role: str
    confidence: float


@dataclass
class SqlLineage:
    """Output columns with the warehouse columns that feed them, row-shaping columns, tables read."""

    columns: dict[str, list[SourceColumn]] = field(default_factory=dict)
    shaping: list[Shaping] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    # placeholder table names (e.g. another saved question) the SQL reads, for the caller to link
    placeholders: list[str] = field(default_factory=list)
    # output column -> [(placeholder, column, transformation)] read from a placeholder
    placeholder_columns: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    partial: bool = False


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _physical_tables(tree: exp.Expr) -> list[exp.Table]:
    """Tables the query reads from the warehouse (not CTEs), in the order they appear."""
    try:
        found = {id(src): src for scope in traverse_scope(tree) for src in scope.sources.values()
                 if isinstance(src, exp.Table)}
        return [t for t in tree.find_all(exp.Table) if id(t) in found and t.name]
    except SqlglotError:
        # scoping failed (unusual SQL): every table not named like a CTE
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        return [t for t in tree.find_all(exp.Table)
                if t.name and (t.args.get("db") or t.name.lower() not in ctes)]


def _written(table: exp.Table) -> str:
    return ".".join(p.sql() if isinstance(p, exp.Identifier) and p.quoted else p.name for p in table.parts)


def sql_lineage(
    sql: str,
    resolver: TableResolver,
    builder: GraphBuilder,
    item: str,
    report: IngestReport,
    placeholders: frozenset[str] = frozenset(),
) -> SqlLineage | None:
    """Lineage of `sql`, asserting the datasets and columns it reads; None (reported) if it does not parse.

    `placeholders` are table names that stand for something other than a warehouse table (a saved question
    a Metabase query reads); they are reported back in `SqlLineage.placeholders`, not resolved.
    """
    wh = resolver.warehouse
    try:
        statements = [s for s in sqlglot.parse(sql, read=wh.dialect) if s is not None]
    except SqlglotError as exc:
        report.warn(item, STAGE, f"SQL does not parse as {wh.dialect}: {_one_line(exc)}")
        return None
    if len(statements) != 1:
        report.warn(item, STAGE, f"SQL holds {len(statements)} statements; only a single query is analysed")
        return None
    tree = statements[0]
    result = SqlLineage()
    resolved: dict[str, str] = {}
    schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for table in _physical_tables(tree):
        written = _written(table)
        if written.lower() in placeholders:
            result.placeholders.append(written.lower())
            if not table.alias:
                table.set("alias", exp.TableAlias(this=table.this.copy()))
            continue
        name = resolver.resolve(written, item)
        if name is None:
            result.partial = True
            continue
        dataset_id = builder.dataset(name, written)
        if dataset_id not in result.tables:
            result.tables.append(dataset_id)
        parts = split_name(name.name)
        resolved[name.name] = dataset_id
        if not table.alias:
            # columns qualified by the table's own name must still find it once it is renamed
            table.set("alias", exp.TableAlias(this=table.this.copy()))
        for key, part in zip(("catalog", "db", "this"), [None] * (3 - len(parts)) + parts):
            table.set(key, exp.to_identifier(part, quoted=True) if part is not None else None)
        columns = builder.known_columns(dataset_id)
        if columns and len(parts) == 3:
            schema.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = {
                c: t or "UNKNOWN" for c, t in columns.items()
            }
    try:
        lineage = analyze(tree.sql(dialect=wh.dialect), wh.dialect, schema or None)
    except SqlLineageError as exc:
        report.warn(item, STAGE, f"SQL not analysed: {_one_line(exc)}")
        return None

    def dataset_for(table: str) -> str | None:
        try:
            return resolved.get(wh.dataset(table).name)
        except InvalidIdError:
            return None

    for column in lineage.columns:
        if column.name == "*":
            result.partial = True
            continue
        sources = result.columns.setdefault(column.name, [])
        for src in column.sources:
            if src.table.lower() in placeholders:
                result.placeholder_columns.setdefault(column.name, []).append(
                    (src.table.lower(), src.column, src.transformation.value))
                continue
            dataset_id = dataset_for(src.table)
            if dataset_id is None or src.column == "*":
                result.partial = True
                continue
            sources.append(SourceColumn(dataset_id, src.column, src.transformation.value, src.confidence,
                                        src.expression))
    for shape in lineage.row_shaping:
        dataset_id = dataset_for(shape.table)
        if dataset_id is not None and shape.column != "*":
            result.shaping.append(Shaping(dataset_id, shape.column, shape.role.value, shape.confidence))
    return result


def expression_columns(expression: str, columns: dict[str, str], dialect: str) -> list[tuple[str, str]] | None:
    """The columns of one relation an SQL expression reads, each with how: [(column, transformation)].

    `columns` are the relation's columns ({name: type}); None when the expression does not parse.
    """
    placeholder = "__relation"
    sql = f"SELECT {expression} AS __value FROM {placeholder}"
    try:
        lineage = analyze(sql, dialect, {placeholder: {c: t or "UNKNOWN" for c, t in columns.items()}})
    except SqlLineageError:
        return None
    found: dict[str, str] = {}
    for column in lineage.columns:
        for src in column.sources:
            if src.column != "*":
                found.setdefault(src.column, src.transformation.value)
    return sorted(found.items())
