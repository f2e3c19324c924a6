"""Promises a model makes that a change can break.

An enforced dbt contract is a hard promise: dbt refuses to build a model whose columns or types differ from
the contract, so a proposal that breaks it is refused. The contract's columns are the model's columns in the
graph (dbt built the model against them). A type counts as broken only when the SQL analysis infers a
different type for the column than it inferred for the old SQL, so that inference gaps never raise a false
alarm. Softer promises are listed for the reviewer: tests on columns that go away or change type, and the
columns of a public model.
"""

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.store import Direction
from server.errors import NotFoundError
from server.lineage.columns import resolve_column
from server.proposals.classify import Classification
from server.proposals.shape import normalise_type
from server.proposals.target import Target
from server.tools.context import ToolContext

MAX_TESTS_NAMED = 3


def is_enforced(target: Target) -> bool:
    contract = target.node.props.get("contract")
    return isinstance(contract, dict) and contract.get("enforced") is True


def contract_breaches(target: Target, diff: Classification, stored_types: dict[str, str | None],
                      new_has_star: bool) -> list[str]:
    """What the new SQL breaks of the model's enforced contract (empty when it has none)."""
    if not is_enforced(target):
        return []
    name = target.node.name
    declared = {c.casefold(): c for c in stored_types}
    breaches = [
        f"column {column} is in the enforced contract of {name} but the new SQL does not produce it"
        for column in diff.removed
    ]
    breaches += [
        f"column {column} is not in the enforced contract of {name}; declare it (with its data_type) first"
        for column in diff.added
    ]
    for retyped in diff.retyped:
        promised = normalise_type(stored_types.get(declared.get(retyped.name.casefold(), "")), target.dialect)
        if promised is not None and retyped.new_type != promised:
            breaches.append(
                f"column {retyped.name} is {promised} in the enforced contract of {name}; the new SQL makes it "
                f"{retyped.new_type}"
            )
    if new_has_star and not breaches:
        diff.warnings.append(f"{name} has an enforced contract and the new SQL selects a star the graph cannot "
                             "expand: dbt will check the columns at build time")
    return breaches


def soft_promises(ctx: ToolContext, target: Target, diff: Classification) -> list[str]:
    """Tests and public interfaces the change affects, for the reviewer to weigh."""
    renamed = dict(diff.renamed)
    touched = [*diff.removed, *(r.name for r in diff.retyped)]
    found = []
    node = target.node
    for column in dict.fromkeys(touched):
        tests = _tests_on(ctx, target, column)
        if not tests:
            continue
        shown = ", ".join(tests[:MAX_TESTS_NAMED]) + (f" and {len(tests) - MAX_TESTS_NAMED} more"
                                                         if len(tests) > MAX_TESTS_NAMED else "")
        if column in renamed:
            what = f"is renamed to {renamed[column]}"
        elif column in diff.removed:
            what = "is removed"
        else:
            what = "changes type"
        found.append(f"{node.name}.{column} {what}; it is tested by {shown}: the tests must change with it")
    if node.props.get("access") == "public" and (diff.removed or diff.retyped):
        changed = ", ".join(dict.fromkeys(touched))
        found.append(f"{node.name} is public (dbt access: public): other projects may read {changed}")
    return found


def _tests_on(ctx: ToolContext, target: Target, column: str) -> list[str]:
    try:
        node = resolve_column(ctx.graph, target.node, column)
    except NotFoundError:
        return []
    tests = ctx.graph.neighbours(node.id, Direction.UPSTREAM, [EdgeKind.TESTS])
    return sorted(n.node.name for n in tests if n.node.kind is NodeKind.TEST and ctx.visible(n.node))
