"""Data tests worth adding with a change: for new columns and keys, and for renamed columns' existing tests.

Only dbt's generic tests are suggested (unique, not_null, relationships, accepted_values), each with the
reason and the arguments its YAML takes:
- a new column named like the model's key (`id`, `order_id` in `stg_orders`) gets unique and not_null;
- a new column carried over from an upstream column inherits that column's not_null, accepted_values and
  relationships tests;
- a new `*_id` column whose name is a tested key elsewhere gets a relationships test to that model;
- a new CASE column whose branches are all string literals gets accepted_values with those literals;
- a model now grouped by one output column gets unique and not_null on it (its new grain);
- a renamed column's tests move to its new name.
"""

from sqlglot import exp

from graph_schema.kinds import EdgeKind, NodeKind, Transformation
from graph_schema.models import Node
from graph_schema.store import Direction
from server.errors import NotFoundError
from server.lineage.columns import dataset_id_of, resolve_column
from server.proposals.classify import Classification
from server.proposals.shape import GROUP_BY, Shape
from server.proposals.target import Target, relation_of
from server.tools.context import ToolContext
from server.tools.schemas.changes import SuggestedTest

GENERIC_TESTS = ("unique", "not_null", "relationships", "accepted_values")
_INHERITED = ("not_null", "accepted_values", "relationships")
_PREFIXES = ("stg_", "int_", "fct_", "dim_", "base_", "mart_")
_MAX_PARENTS = 50


def suggest_tests(ctx: ToolContext, target: Target, new: Shape, diff: Classification,
                  read: list[Node]) -> list[SuggestedTest]:
    out = _Suggestions()
    renamed_to = {new_name: old for old, new_name in diff.renamed}
    for old, new_name in diff.renamed:
        for test in _tests_of(ctx, target.node, old):
            out.add(_copy(test, new_name, f"{old} is renamed to {new_name}: its test {test.name} moves with it"))
    relations = {_relation_key(n): n for n in read}
    for column in new.names:
        if column not in diff.added or column in renamed_to:
            continue
        if _is_key(target.node.name, column):
            out.add(SuggestedTest(test="unique", column=column, reason=f"{column} looks like the key of "
                                  f"{target.node.name}: one row each"))
            out.add(SuggestedTest(test="not_null", column=column, reason=f"{column} is the key of {target.node.name}"))
        _inherit(ctx, new, column, relations, out)
        _case_values(new, column, out)
        if column.lower().endswith("_id") and not out.has(column, "relationships"):
            _parent(ctx, target, column, out)
    _grain(ctx, target, new, diff, out)
    return out.items


class _Suggestions:
    def __init__(self) -> None:
        self.items: list[SuggestedTest] = []

    def has(self, column: str | None, test: str) -> bool:
        return any(s.column == column and s.test == test for s in self.items)

    def add(self, suggestion: SuggestedTest) -> None:
        if suggestion.test in GENERIC_TESTS and not self.has(suggestion.column, suggestion.test):
            self.items.append(suggestion)


def _is_key(model: str, column: str) -> bool:
    name = column.lower()
    if name == "id":
        return True
    stem = model.lower()
    for prefix in _PREFIXES:
        stem = stem.removeprefix(prefix)
    singular = stem[:-3] + "y" if stem.endswith("ies") else stem.removesuffix("s")
    return name in (f"{stem}_id", f"{singular}_id")


def _tests_of(ctx: ToolContext, dataset: Node, column: str) -> list[Node]:
    try:
        node = resolve_column(ctx.graph, dataset, column)
    except NotFoundError:
        return []
    return [n.node for n in ctx.graph.neighbours(node.id, Direction.UPSTREAM, [EdgeKind.TESTS])
            if n.node.kind is NodeKind.TEST and ctx.visible(n.node)]


def _test_name(test: Node) -> str | None:
    name = test.props.get("test_name")
    return name if isinstance(name, str) and name in GENERIC_TESTS else None


def _copy(test: Node, column: str, reason: str) -> SuggestedTest:
    kwargs = test.props.get("kwargs")
    arguments = {k: v for k, v in kwargs.items() if k != "column_name"} if isinstance(kwargs, dict) else {}
    return SuggestedTest(test=_test_name(test) or "", column=column, reason=reason, arguments=arguments)


def _relation_key(node: Node) -> str:
    relation = relation_of(node)
    return ".".join(p for p in (relation.database, relation.schema, relation.identifier) if p).casefold()


def _inherit(ctx: ToolContext, new: Shape, column: str, relations: dict[str, Node], out: _Suggestions) -> None:
    """A column carried over as is keeps what was promised of its source."""
    lineage = new.column(column)
    if lineage is None or len(lineage.sources) != 1:
        return
    source = lineage.sources[0]
    if source.transformation not in (Transformation.PASSTHROUGH, Transformation.RENAMED):
        return
    parent = relations.get(source.table.casefold())
    if parent is None:
        return
    for test in _tests_of(ctx, parent, source.column):
        name = _test_name(test)
        if name in _INHERITED:
            out.add(_copy(test, column, f"{column} carries {parent.name}.{source.column}, which is tested {name}"))


def _case_values(new: Shape, column: str, out: _Suggestions) -> None:
    if new.query is None:
        return
    folded = column.casefold()
    for projection in new.query.selects:
        if projection.alias_or_name.casefold() != folded:
            continue
        case = projection.unalias()
        if not isinstance(case, exp.Case):
            return
        results = [branch.args.get("true") for branch in case.args.get("ifs") or []] + [case.args.get("default")]
        values = [r.this for r in results if isinstance(r, exp.Literal) and r.is_string]
        if values and len(values) == len(results):
            out.add(SuggestedTest(test="accepted_values", column=column,
                                  arguments={"values": list(dict.fromkeys(values))},
                                  reason=f"{column} is a CASE over fixed values"))
        return


def _parent(ctx: ToolContext, target: Target, column: str, out: _Suggestions) -> None:
    """The model whose key `column` is: a same-named column elsewhere tested unique or declared primary key."""
    best: tuple[tuple[int, str], Node, str] | None = None
    for candidate in ctx.graph.find_by_name(column, [NodeKind.COLUMN], limit=_MAX_PARENTS):
        owner_id = dataset_id_of(candidate)
        if owner_id is None or owner_id == target.node.id or not ctx.visible(candidate):
            continue
        tests = [_test_name(n.node) for n in ctx.graph.neighbours(candidate.id, Direction.UPSTREAM, [EdgeKind.TESTS])]
        constraints = candidate.props.get("constraints")
        primary = isinstance(constraints, list) and any(
            isinstance(c, dict) and c.get("type") == "primary_key" for c in constraints)
        if "unique" not in tests and not primary:
            continue
        owner = ctx.graph.get(owner_id)
        if owner is None or not ctx.visible(owner):
            continue
        written = _dbt_ref(owner)
        if written is None:
            continue
        rank = (0 if owner.name.startswith("dim_") else 1 if owner.kind is NodeKind.MODEL else 2, owner.id)
        if best is None or rank < best[0]:
            best = (rank, owner, written)
    if best is not None:
        _, owner, written = best
        out.add(SuggestedTest(test="relationships", column=column, arguments={"to": written, "field": column},
                              reason=f"{column} is the tested key of {owner.name}"))


def _dbt_ref(node: Node) -> str | None:
    ids = node.props.get("dbt_unique_ids")
    for uid in ids if isinstance(ids, list) else []:
        parts = str(uid).split(".")
        if parts[0] in ("model", "seed", "snapshot") and len(parts) >= 3:
            return f"ref('{parts[2]}')"
        if parts[0] == "source" and len(parts) == 4:
            return f"source('{parts[2]}', '{parts[3]}')"
    return None


def _grain(ctx: ToolContext, target: Target, new: Shape, diff: Classification, out: _Suggestions) -> None:
    """When the grouping changed and the final SELECT groups by one output column, that column is the new key."""
    if new.query is None or not any(c.kind == GROUP_BY for c in diff.logic):
        return
    select = new.query if isinstance(new.query, exp.Select) else None
    group = select.args.get("group") if select is not None else None
    if not isinstance(group, exp.Group) or len(group.expressions) != 1:
        return
    key = group.expressions[0]
    if not isinstance(key, exp.Column):
        return
    column = next((n for n in new.names if n.casefold() == key.name.casefold()), None)
    if column is None:
        return
    tested = {_test_name(t) for t in _tests_of(ctx, target.node, column)}
    reason = f"{target.node.name} is now grouped by {column}: one row per {column}"
    if "unique" not in tested:
        out.add(SuggestedTest(test="unique", column=column, reason=reason))
    if "not_null" not in tested:
        out.add(SuggestedTest(test="not_null", column=column, reason=reason))
