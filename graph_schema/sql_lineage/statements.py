"""Parse one SQL statement and reduce it to a query whose output columns are the statement's lineage.

SELECT and set operations are their own query. CREATE ... AS and INSERT ... SELECT keep their query and name
a target. MERGE, UPDATE and DELETE become a synthetic SELECT over the same sources: each assignment is a
projection named after the target column it sets, the ON clause a join and the WHEN/WHERE conditions a
filter, so the one resolver serves every statement kind.
"""

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from graph_schema.sql_lineage.errors import SqlLineageError, SqlParseError, UnsupportedStatementError

# Marks the copy of a DML target inside a synthetic SELECT: it is written, not read.
TARGET_MARK = "datagraph_target"
# Marks the placeholder projection of a synthetic SELECT that sets no column (DELETE, MERGE ... DELETE).
PLACEHOLDER_MARK = "datagraph_placeholder"


@dataclass(frozen=True)
class Plan:
    kind: str
    query: exp.Query | None
    target: exp.Table | None = None
    # Output names given by the statement itself, by position (INSERT INTO t (a, b), CREATE VIEW v (a, b)).
    target_columns: tuple[exp.Identifier, ...] = ()
    # MERGE and UPDATE may set one column in several branches: outputs of one name are merged.
    merge_by_name: bool = False


def parse_statement(sql: str, dialect: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line, column = first.get("line"), first.get("col")
        text = re.sub(r"<Token [^>]*>", repr(first.get("highlight", "")), str(first.get("description", exc)))
        text = re.sub(r"<class '[\w.]*?(\w+)'>", r"\1", text)
        where = f" at line {line}, column {column}" if line is not None else ""
        raise SqlParseError(f"SQL does not parse as {dialect}{where}: {text}", line, column) from None
    except TokenError as exc:
        raise SqlParseError(f"SQL does not parse as {dialect}: {exc}") from None
    if not statements:
        raise SqlParseError("SQL holds no statement")
    if len(statements) > 1:
        raise SqlLineageError(f"SQL holds {len(statements)} statements; give one at a time")
    return statements[0]


def plan_statement(statement: exp.Expr) -> Plan:
    if isinstance(statement, exp.Query):
        into = statement.args.get("into")
        if isinstance(into, exp.Into) and isinstance(into.this, exp.Table):
            statement.set("into", None)  # SELECT ... INTO t creates t like CREATE TABLE t AS SELECT
            return Plan("create", statement, target=into.this)
        return Plan("select", statement)
    if isinstance(statement, exp.Create):
        return _plan_write("create", statement)
    if isinstance(statement, exp.Insert):
        return _plan_write("insert", statement)
    if isinstance(statement, exp.Merge):
        return _plan_merge(statement)
    if isinstance(statement, exp.Update):
        return _plan_update(statement)
    if isinstance(statement, exp.Delete):
        return _plan_delete(statement)
    kind = statement.key.upper() if statement.key != "command" else str(statement.this).upper()
    raise UnsupportedStatementError(f"a {kind} statement moves no data between tables; give a query or DML")


def _target_and_columns(this: exp.Expr | None) -> tuple[exp.Table | None, tuple[exp.Identifier, ...]]:
    if isinstance(this, exp.Schema):
        names = tuple(
            e if isinstance(e, exp.Identifier) else e.this
            for e in this.expressions
            if isinstance(e, exp.Identifier) or isinstance(e.this, exp.Identifier)
        )
        table = this.this
        return (table if isinstance(table, exp.Table) else None), names
    return (this if isinstance(this, exp.Table) else None), ()


def _plan_write(kind: str, statement: exp.Expr) -> Plan:
    target, columns = _target_and_columns(statement.this)
    body = statement.expression
    if not isinstance(body, exp.Query):
        return Plan(kind, None, target=target)
    query = body.pop()  # detached: the query is analysed on its own
    with_ = statement.args.get("with_")
    if with_ is not None and query.args.get("with_") is None:
        query.set("with_", with_)
    return Plan(kind, query, target=target, target_columns=columns)


def _target_source(target: exp.Expr) -> exp.Table:
    if not isinstance(target, exp.Table):
        raise SqlLineageError(f"statement target {target.sql()!r} is not a table")
    source = target.copy()
    source.meta[TARGET_MARK] = True
    return source


def _placeholder() -> exp.Expr:
    literal = exp.Literal.number(1)
    literal.meta[PLACEHOLDER_MARK] = True
    return literal


def _synthetic(
    statement: exp.Expr, projections: list[exp.Expr], relations: list[exp.Expr], where: exp.Expr | None
) -> exp.Select:
    """SELECT projections FROM relations[0], relations[1:] (comma joins) WHERE where."""
    select = exp.Select(expressions=projections or [_placeholder()])
    joins: list[exp.Expr] = []
    for index, relation in enumerate(relations):
        if isinstance(relation, exp.Join):
            joins.append(relation)
            continue
        nested = relation.args.pop("joins", None) or []  # MySQL: UPDATE t1 JOIN t2 ON ... SET ...
        if index == 0:
            select.set("from_", exp.From(this=relation))
        else:
            joins.append(exp.Join(this=relation))
        joins.extend(nested)
    if joins:
        select.set("joins", joins)
    if where is not None:
        select.set("where", exp.Where(this=where))
    with_ = statement.args.get("with_")
    if with_ is not None:
        select.set("with_", with_.copy())
    return select


def _assignment(eq: exp.Expr) -> exp.Expr | None:
    if not isinstance(eq, exp.EQ) or not isinstance(eq.this, exp.Column):
        return None
    return exp.alias_(eq.expression.copy(), eq.this.this.copy())


def _sets_every_column(then: exp.Expr | None) -> bool:
    if isinstance(then, exp.Update):
        return any(isinstance(e, exp.Star) for e in then.expressions)
    if isinstance(then, exp.Insert):
        return isinstance(then.this, exp.Star) or (isinstance(then.this, exp.Var) and then.this.name.upper() == "ROW")
    return False


def _plan_merge(merge: exp.Merge) -> Plan:
    target = merge.this
    using = merge.args.get("using")
    if using is None:
        raise SqlLineageError("MERGE has no USING source")
    projections: list[exp.Expr] = []
    conditions: list[exp.Expr] = []
    whens = merge.args.get("whens")
    for when in whens.expressions if whens is not None else []:
        condition = when.args.get("condition")
        if condition is not None:
            conditions.append(condition.copy())
        then = when.args.get("then")
        if _sets_every_column(then):
            # UPDATE SET * / INSERT * / INSERT ROW: every source column into the target column of its name
            projections.append(exp.Column(this=exp.Star(), table=exp.to_identifier(using.alias_or_name)))
        elif isinstance(then, exp.Update):
            projections.extend(p for p in map(_assignment, then.expressions) if p is not None)
        elif isinstance(then, exp.Insert) and isinstance(then.this, exp.Tuple):
            values = then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
            for column, value in zip(then.this.expressions, values):
                if isinstance(column, exp.Column):
                    projections.append(exp.alias_(value.copy(), column.this.copy()))
    on = merge.args.get("on")
    join = exp.Join(this=_target_source(target), on=on.copy() if on is not None else None)
    where = exp.and_(*conditions) if conditions else None
    query = _synthetic(merge, projections, [using.copy(), join], where)
    return Plan("merge", query, target=target, merge_by_name=True)


def _plan_update(update: exp.Update) -> Plan:
    projections = [p for p in map(_assignment, update.expressions) if p is not None]
    relations: list[exp.Expr] = [_target_source(update.this)]
    from_ = update.args.get("from_")
    if from_ is not None:
        relations.append(from_.this.copy())
    relations.extend(j.copy() for j in update.args.get("joins") or [])
    where = update.args.get("where")
    query = _synthetic(update, projections, relations, where.this.copy() if where is not None else None)
    return Plan("update", query, target=update.this, merge_by_name=True)


def _plan_delete(delete: exp.Delete) -> Plan:
    relations: list[exp.Expr] = [_target_source(delete.this)]
    relations.extend(u.copy() for u in delete.args.get("using") or [])
    where = delete.args.get("where")
    query = _synthetic(delete, [], relations, where.this.copy() if where is not None else None)
    return Plan("delete", query, target=delete.this, merge_by_name=True)
