"""The downstream impact of a proposal: impact_analysis for every column removed, renamed or retyped, a logic
change for every kept column computed differently, and one for the model when its filters, joins or grouping
changed; the reports merged into one, and the owners of what breaks, grouped for the approval rule."""

from collections.abc import Callable

from graph_schema.models import Node
from server.errors import NotFoundError
from server.lineage.columns import resolve_column
from server.lineage.impact import ImpactRequest, analyse
from server.lineage.walk import DEFAULT_LIMIT
from server.proposals.classify import Classification
from server.proposals.target import Target
from server.tools.context import ToolContext
from server.tools.schemas.changes import OwnerApproval
from server.tools.schemas.lineage import (
    ChangeSpec,
    ImpactedAsset,
    ImpactReport,
    ImpactSummary,
    IncompleteLineage,
    LineageCoverage,
)
from server.tools.schemas.common import TestInfo

MAX_CHANGES = 25
IMPACT_DEPTH = 10
_SEVERITY = {"breaking": 2, "at_risk": 1}
_COVERAGE = {"complete": 0, "partial": 1, "unknown": 2}

Visible = Callable[[Node], bool]


def planned_changes(diff: Classification) -> list[ChangeSpec]:
    """The changes the SQL diff makes, the most severe kinds first."""
    renamed = dict(diff.renamed)
    changes = [ChangeSpec(type="rename_column", column=old, new_name=new) for old, new in diff.renamed]
    changes += [ChangeSpec(type="drop_column", column=c) for c in diff.removed if c not in renamed]
    changes += [ChangeSpec(type="change_type", column=r.name, new_type=r.new_type) for r in diff.retyped]
    retyped = {r.name for r in diff.retyped}
    changes += [ChangeSpec(type="modify_logic", column=c) for c in diff.rederived if c not in retyped]
    if diff.changes_rows:
        changes.append(ChangeSpec(type="modify_logic"))
    return changes


def impact_of(ctx: ToolContext, target: Target, changes: list[ChangeSpec], visible: Visible) -> ImpactReport | None:
    """Every change's impact as `visible` lets it be seen, merged; None when nothing changes downstream."""
    reports: list[tuple[ChangeSpec, ImpactReport]] = []
    notes: list[str] = []
    for change in changes[:MAX_CHANGES]:
        column = None
        if change.column is not None:
            try:
                column = resolve_column(ctx.graph, target.node, change.column)
            except NotFoundError:
                notes.append(f"{target.node.name}.{change.column} is not in the graph: the impact of its "
                             f"{change.type} is not known")
                continue
        request = ImpactRequest(target=target.node, change=change, column=column, depth=IMPACT_DEPTH,
                                limit=ctx.cap(DEFAULT_LIMIT), visible=visible)
        reports.append((change, analyse(ctx.graph, request)))
    if len(changes) > MAX_CHANGES:
        notes.append(f"only the first {MAX_CHANGES} of {len(changes)} changes were analysed")
    if not reports:
        return None
    return merge(target, reports, notes)


def describe(change: ChangeSpec) -> str:
    if change.type == "rename_column":
        return f"rename {change.column} to {change.new_name}"
    if change.type == "change_type":
        return f"retype {change.column} to {change.new_type}"
    if change.type == "drop_column":
        return f"drop {change.column}"
    if change.column is not None:
        return f"new logic for {change.column}"
    return "new filters, joins or grouping"


def merge(target: Target, reports: list[tuple[ChangeSpec, ImpactReport]], notes: list[str]) -> ImpactReport:
    """One report: each impacted asset once, with its strongest severity (then nearest) and that reason."""
    if len(reports) == 1 and not notes:
        return reports[0][1]
    several = len(reports) > 1
    best: dict[str, ImpactedAsset] = {}
    for change, report in reports:
        for item in report.impacted:
            if several:
                item = item.model_copy(update={"reason": f"{describe(change)}: {item.reason}"})
            known = best.get(item.id)
            stronger = known is None or (
                (_SEVERITY[item.severity], -item.distance) > (_SEVERITY[known.severity], -known.distance)
            )
            if stronger:
                best[item.id] = item
    items = sorted(best.values(), key=lambda i: (-_SEVERITY[i.severity], i.distance, i.id))
    tests: dict[str, TestInfo] = {}
    for _, report in reports:
        for test in report.tests:
            tests.setdefault(test.id, test)
    summary_notes = [f"combined impact of {len(reports)} changes: " + "; ".join(describe(c) for c, _ in reports)]
    merged_notes = [*summary_notes, *notes] if several else list(notes)
    for _, report in reports:
        merged_notes += [n for n in report.notes if n not in merged_notes]
    return ImpactReport(
        target=target.node.id if several else reports[0][1].target,
        change=reports[0][0],
        summary=ImpactSummary(breaking=sum(1 for i in items if i.severity == "breaking"),
                              at_risk=sum(1 for i in items if i.severity == "at_risk")),
        impacted=items,
        notify=list(dict.fromkeys(o for i in items for o in i.owners)),
        tests=sorted(tests.values(), key=lambda t: (t.name, t.id)),
        coverage=_coverage([r.coverage for _, r in reports if r.coverage is not None]),
        notes=merged_notes,
    )


def _coverage(parts: list[LineageCoverage]) -> LineageCoverage | None:
    if not parts:
        return None
    status = max((p.status for p in parts), key=_COVERAGE.__getitem__)
    incomplete: dict[str, IncompleteLineage] = {}
    for part in parts:
        for item in part.incomplete:
            incomplete.setdefault(item.id, item)
    return LineageCoverage(status=status, incomplete=list(incomplete.values()))


def owner_approvals(report: ImpactReport | None) -> list[OwnerApproval]:
    """Broken assets grouped by their owners (the same owners once); assets without owners need no one."""
    if report is None:
        return []
    groups: dict[frozenset[str], OwnerApproval] = {}
    for item in report.impacted:
        if item.severity != "breaking" or not item.owners:
            continue
        key = frozenset(o.casefold() for o in item.owners)
        group = groups.setdefault(key, OwnerApproval(owners=sorted(set(item.owners)), assets=[]))
        group.assets.append(item.id)
    return list(groups.values())
