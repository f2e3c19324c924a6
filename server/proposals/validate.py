"""Checking new SQL for a model before anything is stored.

The new SQL must render (dbt models: Jinja with ref/source resolved through the graph), parse in the model's
dialect as one query, read only relations the graph knows, and keep the model's enforced contract; any of
these failing is an error that says where (line, column) and nothing is proposed. What passes is compared
with the old SQL, rendered and analysed the same way, column by column and clause by clause.
"""

import re
from dataclasses import dataclass

from graph_schema.kinds import DATASET_KINDS
from graph_schema.models import Node
from graph_schema.sql_lineage import SqlLineageError, SqlParseError
from server.errors import AmbiguousRefError, NotFoundError
from server.proposals.classify import Classification, classify
from server.proposals.contract import contract_breaches, soft_promises
from server.proposals.errors import ContractViolationError, InvalidSqlError, UnknownRefError
from server.proposals.render import RefCall, Rendered, locate, render
from server.proposals.shape import Shape, shape_of
from server.proposals.target import RelationResolver, Target, column_types, relation_of, schema_of
from server.tools.context import ToolContext
from server.tools.refs import resolve_ref
from server.tools.schemas.changes import LogicChange, RenamedColumn, RetypedColumn, Validation

MAX_LISTED = 5


@dataclass
class Checked:
    """New SQL that passed validation, compared with the old."""

    validation: Validation
    diff: Classification
    new: Shape
    read: list[Node]  # the datasets the new SQL reads


def check(ctx: ToolContext, target: Target, new_sql: str) -> Checked:
    stored_types = column_types(ctx, target.node)
    new_resolver = RelationResolver(ctx, target.package)
    new_sql_text = _render(target, new_sql, new_resolver)
    read = {n.id: n for n in new_resolver.found.values()}
    new = _analyse(ctx, target, new_sql, new_sql_text, read)

    warnings: list[str] = []
    old = _old_shape(ctx, target, read, warnings)
    diff = classify(old, new, stored_types, target.dialect)
    diff.warnings[:0] = warnings
    breaches = contract_breaches(target, diff, stored_types, new.has_star)
    if breaches:
        raise ContractViolationError(f"the new SQL breaks the enforced contract of {target.node.name}: "
                                     + "; ".join(breaches))
    validation = Validation(
        parses=True,
        columns_added=diff.added,
        columns_removed=diff.removed,
        columns_retyped=[RetypedColumn(name=r.name, old_type=r.old_type, new_type=r.new_type) for r in diff.retyped],
        contract_violations=soft_promises(ctx, target, diff),
        columns_renamed=[RenamedColumn(old_name=o, new_name=n) for o, n in diff.renamed],
        columns_rederived=diff.rederived,
        logic_changes=[LogicChange(kind=c.kind, removed=list(c.removed), added=list(c.added)) for c in diff.logic],
        warnings=[*diff.warnings, *_stand_in_warnings(new_sql_text)],
    )
    return Checked(validation, diff, new, list(read.values()))


def _render(target: Target, sql: str, resolver: RelationResolver) -> Rendered:
    if target.kind != "dbt_model":
        return Rendered(sql=sql)
    rendered = render(sql, resolver, target.relation)
    if rendered.unknown:
        raise UnknownRefError("; ".join(_unknown_ref(sql, call, resolver) for call in rendered.unknown[:MAX_LISTED]))
    if rendered.uses_incremental:
        # the incremental branch is SQL dbt runs too: it must parse as well
        incremental = render(sql, resolver, target.relation, incremental=True)
        _parse_or_raise(target, sql, incremental.sql, "in the is_incremental() branch, ")
    return rendered


def _unknown_ref(sql: str, call: RefCall, resolver: RelationResolver) -> str:
    where = locate(sql, call)
    at = f"line {where[0]}, column {where[1]}: " if where else ""
    what = "no model, seed or snapshot" if call.kind == "ref" else "no source table"
    close = resolver.candidates(call)
    hint = f"; closest: {', '.join(close)}" if close else ""
    return f"{at}{call.spelled()} names {what} in the graph{hint}"


def _parse_or_raise(target: Target, template: str, sql: str, context: str = "") -> None:
    try:
        shape_of(sql, target.dialect, {}, target.relation.database, target.relation.schema)
    except SqlParseError as exc:
        raise InvalidSqlError(context + _parse_message(exc, template, sql)) from None
    except SqlLineageError as exc:
        raise InvalidSqlError(f"{context}{exc}") from None


def _analyse(ctx: ToolContext, target: Target, template: str, rendered: Rendered, read: dict[str, Node]) -> Shape:
    """The new SQL's shape; tables it names directly (not through ref or source) must be in the graph too."""
    sql = rendered.sql

    def analyse() -> Shape:
        schema = schema_of(ctx, [*read.values(), target.node])
        try:
            shape = shape_of(sql, target.dialect, schema, target.relation.database, target.relation.schema)
        except SqlParseError as exc:
            raise InvalidSqlError(_parse_message(exc, template, sql)) from None
        except SqlLineageError as exc:
            raise InvalidSqlError(str(exc)) from None
        _check_statement(target, shape)
        return shape

    shape = analyse()
    known = {_key(n) for n in [*read.values(), target.node]}
    unread = [t for t in shape.tables if t.casefold() not in known]
    if not unread:
        return shape
    for table in unread:
        node = _direct_table(ctx, template, table)
        read[node.id] = node
    # again, with the columns of the tables found: stars over them expand now
    return analyse()


def _check_statement(target: Target, shape: Shape) -> None:
    allowed = ("select",) if target.kind == "dbt_model" else ("select", "create")
    if shape.statement not in allowed:
        what = "a dbt model's SQL is one SELECT" if target.kind == "dbt_model" else "a view is one SELECT"
        raise InvalidSqlError(f"{what}; the new SQL's statement is {shape.statement.upper()}")


def _key(node: Node) -> str:
    relation = relation_of(node)
    return ".".join(p for p in (relation.database, relation.schema, relation.identifier) if p).casefold()


def _direct_table(ctx: ToolContext, template: str, table: str) -> Node:
    try:
        return resolve_ref(ctx, table, kinds=DATASET_KINDS)
    except (NotFoundError, AmbiguousRefError) as exc:
        where = _locate_name(template, table.rsplit(".", 1)[-1])
        detail = str(exc).split("] ", 1)[-1].split("; pass one of these ids", 1)[0]
        raise UnknownRefError(f"{where}table {table} is not in the graph ({detail})") from None


def _locate_name(text: str, name: str) -> str:
    match = re.search(rf"\b{re.escape(name)}\b", text, flags=re.IGNORECASE)
    if match is None:
        return ""
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return f"line {line}, column {column}: "


def _parse_message(exc: SqlParseError, template: str, rendered: str) -> str:
    """The parse error at its place in the SQL as written: a rendered line found verbatim in the template keeps
    its column; otherwise the place in the rendered SQL is given with the text around it."""
    message = str(exc)
    if exc.line is None:
        return message
    detail = re.sub(r" at line \d+, column \d+", "", message)
    lines = rendered.splitlines()
    text = lines[exc.line - 1] if 0 < exc.line <= len(lines) else ""
    column = exc.column if exc.column is not None else 1
    if template == rendered:
        return f"line {exc.line}, column {column}: {detail}"
    matches = [i + 1 for i, t in enumerate(template.splitlines()) if t == text and text.strip()]
    if matches:
        line = min(matches, key=lambda i: abs(i - exc.line))
        return f"line {line}, column {column}: {detail}"
    return f"line {exc.line}, column {column} of the rendered SQL (near {text.strip()[:80]!r}): {detail}"


def _old_shape(ctx: ToolContext, target: Target, read: dict[str, Node], warnings: list[str]) -> Shape:
    """The current SQL analysed like the new one; when it cannot be, the graph's columns stand in for it."""
    resolver = RelationResolver(ctx, target.package)
    try:
        rendered = _render(target, target.old_sql, resolver) if target.kind == "dbt_model" else Rendered(target.old_sql)
        nodes = {**read, **{n.id: n for n in resolver.found.values()}}
        schema = schema_of(ctx, [*nodes.values(), target.node])
        return shape_of(rendered.sql, target.dialect, schema, target.relation.database, target.relation.schema)
    except (InvalidSqlError, UnknownRefError, SqlLineageError) as exc:
        warnings.append(f"the current SQL of {target.node.name} could not be analysed ({exc}); "
                        "its columns in the graph stand in for it")
        return Shape(analysed=False, problem=str(exc))


def _stand_in_warnings(rendered: Rendered) -> list[str]:
    macros = sorted(set(rendered.stand_ins))
    if not macros:
        return []
    return [f"macros not expanded (the server never runs dbt): {', '.join(macros)}; columns they compute "
            "have no traced inputs"]
