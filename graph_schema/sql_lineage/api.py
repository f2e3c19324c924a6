"""The entry points: `analyze` gives the column lineage of one SQL statement, `lineage_json` its JSON form."""

from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import build_scope
from sqlglot.schema import MappingSchema

from graph_schema.kinds import Transformation
from graph_schema.naming import PLATFORM_ALIASES
from graph_schema.sql_lineage.errors import SqlLineageError
from graph_schema.sql_lineage.leaves import STAR, Kind, Leaf, Output, merge, table_name
from graph_schema.sql_lineage.models import ColumnSource, OutputColumn, QueryLineage, ShapingColumn, TableRefs
from graph_schema.sql_lineage.qualify import fold_defaults, qualify_query, qualify_table
from graph_schema.sql_lineage.resolve import Resolver
from graph_schema.sql_lineage.schema import SchemaInput, mapping_schema
from graph_schema.sql_lineage.shaping import read_tables, row_shaping, used_scopes
from graph_schema.sql_lineage.statements import PLACEHOLDER_MARK, Plan, parse_statement, plan_statement

_KIND_TRANSFORMATION = {
    Kind.DERIVED: Transformation.DERIVED,
    Kind.AGGREGATED: Transformation.AGGREGATED,
    Kind.WINDOW: Transformation.WINDOW,
}


def _dialect(name: str) -> tuple[str, Dialect]:
    key = name.strip().lower()
    key = PLATFORM_ALIASES.get(key, key)
    try:
        return key, Dialect.get_or_raise(key)
    except ValueError:
        raise SqlLineageError(f"unknown SQL dialect {name!r}") from None


class _Texts:
    """SQL of transforming expressions, generated once each and only for the sources reported."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._done: dict[int, str] = {}

    def __call__(self, expression: exp.Expr | None) -> str | None:
        if expression is None:
            return None
        key = id(expression)
        if key not in self._done:
            # Resolution is over when texts are made, so the generator may rewrite the tree in place.
            self._done[key] = expression.sql(dialect=self._dialect, copy=False)
        return self._done[key]


def _sources(name: str, leaves: tuple[Leaf, ...], texts: _Texts) -> list[ColumnSource]:
    """One source per table column; a bare one is passthrough when it keeps its name, else renamed."""
    sources = []
    for leaf in sorted(merge(leaves), key=lambda leaf: (leaf.table, leaf.column)):
        if leaf.kind is Kind.BARE:
            transformation = Transformation.PASSTHROUGH if leaf.column == name else Transformation.RENAMED
        else:
            transformation = _KIND_TRANSFORMATION[leaf.kind]
        sources.append(
            ColumnSource(
                table=leaf.table,
                column=leaf.column,
                transformation=transformation,
                expression=texts(leaf.expression),
                confidence=leaf.confidence,
            )
        )
    return sources


def _statement_outputs(
    plan: Plan,
    query: exp.Query,
    outputs: list[Output],
    target: exp.Table | None,
    schema: MappingSchema,
    dialect: Dialect,
) -> list[Output]:
    """The query's outputs named as the statement names them: target column lists, or by name for DML."""
    if any(projection.unalias().meta.get(PLACEHOLDER_MARK) for projection in query.selects):
        return []  # a DELETE, or a MERGE that only deletes: no column is set
    if plan.merge_by_name:
        merged: dict[str, tuple[Leaf, ...]] = {}
        for output in outputs:
            merged[output.name] = merged.get(output.name, ()) + output.leaves
        return [Output(name, leaves) for name, leaves in merged.items()]
    names = [dialect.normalize_identifier(i.copy()).name for i in plan.target_columns]
    if not names and plan.kind == "insert" and target is not None:
        names = list(schema.column_names(target))
    if names and len(names) == len(outputs) and all(o.name != STAR for o in outputs):
        return [Output(n, o.leaves) for n, o in zip(names, outputs)]
    return outputs


def analyze(
    sql: str,
    dialect: str,
    schema: SchemaInput | None = None,
    *,
    default_catalog: str | None = None,
    default_db: str | None = None,
) -> QueryLineage:
    """Column lineage of one SQL statement (query, CREATE ... AS, INSERT, MERGE, UPDATE or DELETE).

    `schema` is {db: {schema: {table: {column: type}}}} at any depth, or flat {"schema.table": {...}};
    a table's columns may also be a list of names. Raises SqlParseError when the SQL does not parse and
    SqlLineageError when it cannot be analysed.
    """
    dialect_name, dialect_obj = _dialect(dialect)
    plan = plan_statement(parse_statement(sql, dialect_name))
    default_catalog, default_db = fold_defaults(dialect_obj, default_catalog, default_db)
    mapping = mapping_schema(schema, dialect_name, default_catalog, default_db)
    target = qualify_table(plan.target, dialect_obj, default_catalog, default_db) if plan.target else None
    write = [table_name(target)] if target is not None else []
    lineage = QueryLineage(
        dialect=dialect_name, statement=plan.kind, columns=[], row_shaping=[], tables=TableRefs(write=write)
    )
    if plan.query is None:
        return lineage

    unused = [plan.query]

    def fresh_query() -> exp.Query:
        # the parsed query is used as is once; a retry after a failed qualification parses anew
        query = unused.pop() if unused else plan_statement(parse_statement(sql, dialect_name)).query
        if query is None:
            raise SqlLineageError("statement lost its query while being analysed")
        return query

    try:
        query = qualify_query(fresh_query, dialect_obj, mapping, default_catalog, default_db)
        root = build_scope(query)
        if root is None:
            return lineage
        resolver = Resolver(root, mapping, dialect_obj)
        outputs = _statement_outputs(plan, query, resolver.outputs(root), target, mapping, dialect_obj)
        scopes = used_scopes(resolver, root)
        shaping = row_shaping(resolver, scopes)
        texts = _Texts(dialect_obj)
        columns = [OutputColumn(name=o.name, sources=_sources(o.name, o.leaves, texts)) for o in outputs]
    except SqlglotError as exc:
        raise SqlLineageError(f"SQL cannot be analysed: {str(exc).splitlines()[0]}") from None
    return lineage.model_copy(
        update={
            "columns": columns,
            "row_shaping": [ShapingColumn(table=t, column=c, role=r, confidence=cf) for t, c, r, cf in shaping],
            "tables": TableRefs(read=read_tables(scopes), write=write),
        }
    )


def lineage_json(
    sql: str,
    dialect: str,
    schema: SchemaInput | None = None,
    *,
    default_catalog: str | None = None,
    default_db: str | None = None,
) -> dict[str, Any]:
    """`{columns: [{name, sources: [{table, column, transformation, ...}]}], tables: {read, write}, row_shaping}`."""
    lineage = analyze(sql, dialect, schema, default_catalog=default_catalog, default_db=default_db)
    return lineage.to_json()
