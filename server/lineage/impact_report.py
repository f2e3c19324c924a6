"""Turning impact findings into the answer: visible items in order, owners to notify, tests to re-run."""

from collections.abc import Callable
from itertools import chain
from dataclasses import dataclass
from typing import NamedTuple

from pydantic import TypeAdapter

from graph_schema.kinds import DATASET_KINDS, EdgeKind, NodeKind
from graph_schema.models import Node
from graph_schema.store import Direction, GraphStore
from server.lineage import coverage as cov
from server.lineage.columns import dataset_id_of
from server.lineage.severity import Effect, Severity
from server.tools.schemas.common import TestInfo
from server.tools.schemas.lineage import (
    ChangeSpec,
    ImpactedAsset,
    ImpactReport,
    ImpactSummary,
    LineageCoverage,
)

HIDDEN = "(hidden)"
_IMPACTED = TypeAdapter(list[ImpactedAsset])  # one validation call for the whole list
_LABELS = {severity: severity.label for severity in Severity}
# Where ingestors record the node that holds a field: dbt semantic model, LookML view, Superset dataset,
# Metabase card, explore.
_HOLDER_PROPS = ("semantic_model", "view", "dataset", "card", "explore")

_RULES = {
    "drop_column": "breaking: everything that reads the column, directly or through derived columns, fields and "
                   "metrics; at_risk: readers whose column lineage is unknown, and what is built from datasets "
                   "whose rows the column filtered, joined or grouped",
    "rename_column": "breaking: the direct readers of the column, each with the rename to apply; nothing further "
                     "downstream changes once they read the new name",
    "change_type": "passthroughs carry the new type (at_risk); arithmetic, aggregation, casts and numeric measures "
                   "on an incompatible type break; COUNT, MIN and MAX only put values at risk",
    "drop_asset": "breaking: every direct reader and everything defined on the asset's columns; at_risk: what is "
                  "built from the readers",
    "rename_asset": "breaking: the direct readers, which must use the new name",
    "modify_logic": "at_risk: everything downstream, since values may change; nothing is known to break",
}


class Finding(NamedTuple):  # a tuple: an impact makes hundreds
    id: str
    effect: Effect
    distance: int
    path: tuple[str, ...]
    reason: str
    action: str | None = None


@dataclass(frozen=True)
class Subject:
    """What changes, and for whom the answer is."""

    change: ChangeSpec
    target: Node
    column: Node | None
    visible: Callable[[Node], bool]


def build_report(
    store: GraphStore,
    subject: Subject,
    findings: dict[str, Finding],
    nodes: dict[str, Node],
    notes: list[str],
    truncated: bool,
) -> ImpactReport:
    missing = set(findings) - set(nodes)
    holder_of = {i: _holder_id(n) for i, n in nodes.items()}
    holders = {h for h in holder_of.values() if h is not None}
    nodes.update(store.get_many(missing | (holders - set(nodes))))
    visible = _Visibility(nodes, subject.visible)
    seen = visible.of_loaded()  # what is not loaded is not shown
    shown = [f for f in findings.values() if seen.get(f.id)]
    shown.sort(key=lambda f: (-f.effect.severity, f.distance, f.id))
    # Paths are copied as they are when the caller sees every loaded node and every step is loaded.
    plain_paths = all(seen.values()) and seen.keys() >= set(chain.from_iterable(f.path for f in shown))
    fields = []
    for f in shown:
        node = nodes[f.id]
        owners = node.owners
        if not owners:
            holder = holder_of[f.id] if f.id in holder_of else _holder_id(node)
            owners = nodes[holder].owners if holder is not None and holder in nodes else ()
        fields.append({
            "id": f.id,
            "kind": node.kind,
            "name": node.name,
            "distance": f.distance,
            "severity": _LABELS[f.effect.severity],
            "reason": f.reason,
            "path": f.path if plain_paths else [step if seen.get(step) else HIDDEN for step in f.path],
            "owners": owners,
            "qualified_name": node.qualified_name,
            "action": f.action,
        })
    items = _IMPACTED.validate_python(fields)
    breaking = sum(1 for f in shown if f.effect.severity is Severity.BREAKING)
    changed = subject.column if subject.column is not None else subject.target
    out_notes = [_RULES[subject.change.type], *notes]
    hidden = len(findings) - len(shown)
    if hidden:
        out_notes.append(f"{hidden} impacted assets are outside your access scope and not listed")
    if truncated:
        out_notes.append("the walk stopped at the depth or node limit; deeper consumers are not listed")
    return ImpactReport(
        target=changed.id,
        change=subject.change,
        summary=ImpactSummary(breaking=breaking, at_risk=len(items) - breaking),
        impacted=items,
        notify=list(dict.fromkeys(o for item in items for o in item.owners)),
        tests=_tests(store, nodes, seen, visible.visible, [subject.target.id, changed.id, *(i.id for i in items)]),
        coverage=_coverage(nodes, visible, subject.target, items),
        notes=out_notes,
    )


class _Visibility:
    """Whether the caller may see a node; a column only with its dataset."""

    def __init__(self, nodes: dict[str, Node], visible: Callable[[Node], bool]) -> None:
        self.nodes = nodes
        self.visible = visible
        self._known: dict[str, bool] = {}  # each path step is asked about many times

    def __call__(self, node_id: str) -> bool:
        known = self._known.get(node_id)
        if known is not None:
            return known
        node = self.nodes.get(node_id)
        if node is None:
            return False  # not remembered: the node may be loaded later
        seen = self._known[node_id] = self._decide(node)
        return seen

    def of_loaded(self) -> dict[str, bool]:
        """Whether the caller may see each loaded node, decided once per node."""
        known, decide = self._known, self._decide
        for node_id, node in self.nodes.items():
            if node_id not in known:
                known[node_id] = decide(node)
        return {i: known[i] for i in self.nodes}

    def _decide(self, node: Node) -> bool:
        owner = dataset_id_of(node) if node.kind is NodeKind.COLUMN else None
        return self.visible(node) and (owner is None or owner not in self.nodes or self.visible(self.nodes[owner]))


def _holder_id(node: Node) -> str | None:
    """Where a node without owners of its own takes them from: a column's dataset, a field's semantic model."""
    owner = dataset_id_of(node)
    if owner is not None or not node.props:
        return owner
    for key in _HOLDER_PROPS:
        holder = node.props.get(key)
        if isinstance(holder, str) and ":" in holder:
            return holder
    return None


def _tests(
    store: GraphStore, nodes: dict[str, Node], seen: dict[str, bool], visible: Callable[[Node], bool], ids: list[str]
) -> list[TestInfo]:
    """Tests on the changed asset, on each impacted dataset or column, and on the columns of those datasets.

    `seen` says which loaded nodes the caller may see; a test is shown when `visible` says so.
    """
    tested, datasets = [], []
    for i in dict.fromkeys(ids):
        if seen.get(i):
            kind = nodes[i].kind
            if kind in DATASET_KINDS:
                datasets.append(i)
                tested.append(i)
            elif kind is NodeKind.COLUMN:
                tested.append(i)
    if datasets:
        for found in store.neighbours_of(datasets, Direction.DOWNSTREAM, [EdgeKind.HAS_COLUMN]).values():
            for column in found:
                nodes.setdefault(column.node.id, column.node)
                tested.append(column.node.id)
    tested = list(dict.fromkeys(tested))
    if not tested:
        return []
    targets: dict[str, str] = {}  # test -> the first tested node it tests
    tests: dict[str, Node] = {}
    for target, found in store.neighbours_of(tested, Direction.UPSTREAM, [EdgeKind.TESTS]).items():
        for test in found:
            if test.node.kind is NodeKind.TEST and test.node.id not in tests:
                targets[test.node.id] = target
                tests[test.node.id] = test.node
    out = []
    for test_id, test in tests.items():
        if not visible(test):
            continue
        target = nodes.get(targets[test_id])
        column = target.name if target is not None and target.kind is NodeKind.COLUMN else None
        out.append(describe_test(test, column))
    return sorted(out, key=lambda t: (t.name, t.id))


def describe_test(test: Node, column: str | None) -> TestInfo:
    test_type = test.props.get("test_name") or test.props.get("test_type")
    last_run = test.props.get("last_run")
    status = last_run.get("status") if isinstance(last_run, dict) else None
    return TestInfo(
        id=test.id,
        name=test.name,
        column=column,
        test_type=str(test_type) if test_type else None,
        status=str(status) if status else None,
    )


def _coverage(nodes: dict[str, Node], visible: _Visibility, target: Node, items: list[ImpactedAsset]) -> LineageCoverage:
    datasets = ([target] if visible(target.id) else []) + [nodes[i.id] for i in items if i.kind in DATASET_KINDS]
    status, incomplete = cov.summarise(datasets)  # items are the visible ones already
    return LineageCoverage(status=status, incomplete=incomplete)

