"""What one SQL query produces and how it shapes rows: output columns with their lineage and inferred types,
and the text of its filters, joins and groupings, so that the old and new SQL of a model can be compared."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from graph_schema.sql_lineage import OutputColumn, SqlLineageError, SqlParseError, analyze
from graph_schema.sql_lineage.schema import mapping_schema
from graph_schema.sql_lineage.statements import parse_statement

FILTER = "filter"
JOIN = "join"
GROUP_BY = "group_by"
LOGIC_KINDS = (FILTER, JOIN, GROUP_BY)
STAR = "*"


@dataclass
class Shape:
    columns: list[OutputColumn] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)  # output column -> inferred type, when known
    tables: list[str] = field(default_factory=list)  # tables read, as the analysis names them
    clauses: dict[str, Counter[str]] = field(default_factory=dict)  # filter / join / group_by -> clause SQL
    analysed: bool = True  # False when the column lineage could not be worked out (see `problem`)
    problem: str | None = None
    query: exp.Query | None = None  # the parsed query, as written (not qualified)
    statement: str = "select"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns if c.name != STAR]

    @property
    def has_star(self) -> bool:
        """A star over a relation of unknown columns: the output columns are not all known."""
        return any(c.name == STAR for c in self.columns)

    def column(self, name: str) -> OutputColumn | None:
        folded = name.casefold()
        return next((c for c in self.columns if c.name.casefold() == folded), None)


def shape_of(
    sql: str, dialect: str, schema: dict[str, Any], default_catalog: str | None, default_db: str | None
) -> Shape:
    """The shape of `sql`; SqlParseError when it does not parse, SqlLineageError when it is not one statement;
    other analysis failures are kept in `problem`."""
    tree = parse_statement(sql, dialect)
    shape = Shape(clauses=_clauses(tree, dialect), query=_query(tree), statement=statement_kind(tree))
    try:
        lineage = analyze(sql, dialect, schema, default_catalog=default_catalog, default_db=default_db)
    except SqlParseError:
        raise
    except SqlLineageError as exc:
        shape.analysed = False
        shape.problem = str(exc)
        shape.columns = [OutputColumn(name=n, sources=[]) for n in _projection_names(tree)]
        shape.tables = _tables_as_written(tree)
    else:
        shape.columns = list(lineage.columns)
        shape.tables = list(lineage.tables.read)
    shape.types = _types(tree, dialect, schema, default_catalog, default_db)
    return shape


def statement_kind(tree: exp.Expr) -> str:
    """select for a query, create for CREATE ... AS, else the statement's keyword in lower case."""
    if isinstance(tree, exp.Query):
        return "select"
    return tree.key.lower()


def _query(tree: exp.Expr) -> exp.Query | None:
    if isinstance(tree, exp.Create):
        inner = tree.expression
        return inner if isinstance(inner, exp.Query) else None
    return tree if isinstance(tree, exp.Query) else None


def _projection_names(tree: exp.Expr) -> list[str]:
    query = _query(tree)
    return [s.alias_or_name for s in query.selects] if query is not None else []


def _tables_as_written(tree: exp.Expr) -> list[str]:
    """Tables the SQL names (not its CTEs), as written: what is known when the lineage analysis failed."""
    ctes = {cte.alias_or_name.casefold() for cte in tree.find_all(exp.CTE)}
    names = []
    for table in tree.find_all(exp.Table):
        parts = [p for p in (table.catalog, table.db, table.name) if p]
        if parts and not (len(parts) == 1 and parts[0].casefold() in ctes):
            names.append(".".join(parts))
    return list(dict.fromkeys(names))


def _sql(node: exp.Expr, dialect: str) -> str:
    """SQL of a clause, spelled alike however it was written: quotes and outer parentheses dropped, names
    normalised (a warehouse hands back a view's definition rewritten this way)."""
    copy = node.copy()
    for identifier in copy.find_all(exp.Identifier):
        identifier.set("quoted", False)
    while isinstance(copy, exp.Paren):
        copy = copy.this
    return copy.sql(dialect=dialect or None, normalize=True, comments=False)


def _join(join: exp.Join, dialect: str) -> str:
    side = str(join.args.get("side") or "").upper()
    kind = str(join.args.get("kind") or "").upper()
    parts = [side, "" if kind == "INNER" else kind, "JOIN", _sql(join.this, dialect)]
    on = join.args.get("on")
    if isinstance(on, exp.Expr):
        parts += ["ON", _sql(on, dialect)]
    using = join.args.get("using")
    if using:
        parts += ["USING", ", ".join(_sql(u, dialect) for u in using)]
    return " ".join(p for p in parts if p)


def _clauses(tree: exp.Expr, dialect: str) -> dict[str, Counter[str]]:
    """Each SELECT's filters (WHERE, HAVING, QUALIFY, LIMIT) and groupings (GROUP BY, DISTINCT), and every join,
    as SQL."""
    found: dict[str, Counter[str]] = {kind: Counter() for kind in LOGIC_KINDS}
    query = _query(tree)
    if query is None:
        return found
    for select in query.find_all(exp.Select):
        for key in ("where", "having", "qualify"):
            clause = select.args.get(key)
            if isinstance(clause, exp.Expr):
                found[FILTER][f"{key} {_sql(clause.this, dialect)}"] += 1
        limit = select.args.get("limit")
        if isinstance(limit, exp.Expr):
            found[FILTER][_sql(limit, dialect)] += 1
        group = select.args.get("group")
        if isinstance(group, exp.Expr):
            found[GROUP_BY][_sql(group, dialect)] += 1
        if select.args.get("distinct") is not None:
            found[GROUP_BY]["distinct"] += 1
    # joins anywhere, also inside a parenthesised FROM
    for join in query.find_all(exp.Join):
        found[JOIN][_join(join, dialect)] += 1
    return found


def _types(
    tree: exp.Expr, dialect: str, schema: dict[str, Any], default_catalog: str | None, default_db: str | None
) -> dict[str, str]:
    """Output column -> type as sqlglot infers it from the upstream column types; unknown types left out."""
    query = _query(tree)
    if query is None:
        return {}
    try:
        mapping = mapping_schema(schema, dialect, default_catalog, default_db)
        qualified = qualify(
            query.copy(), schema=mapping, dialect=dialect or None, catalog=default_catalog, db=default_db,
            validate_qualify_columns=False, quote_identifiers=False,
        )
        annotated = annotate_types(qualified, schema=mapping, dialect=dialect or None)
    except (SqlglotError, SqlLineageError):
        return {}
    types: dict[str, str] = {}
    for select in annotated.selects:
        kind = select.type
        if kind is None or kind.is_type(exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL):
            continue
        types[select.alias_or_name] = kind.sql(dialect=dialect or None)
    return types


def normalise_type(text: str | None, dialect: str) -> str | None:
    """A warehouse type spelled the way the dialect's generator spells it (INTEGER -> INT), None if unknown."""
    if not text:
        return None
    try:
        return exp.DataType.build(text, dialect=dialect or None).sql(dialect=dialect or None)
    except (SqlglotError, ValueError):
        return text.strip().upper()
