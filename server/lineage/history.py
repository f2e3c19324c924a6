"""recent_changes: what changed, run by run, in an asset and everything upstream of it.

The store keeps, for every ingestion run, the before and after of each node and edge the run changed.
This module reads the runs newest first and turns the records that concern the watched assets into
readable changes: SQL diffs, columns added, removed or retyped, metric and semantic definitions, owners,
tests added, removed, changed or newly failing, and upstream dependencies gained or lost.

A source's first run asserts everything it sees; that is where its history starts, not a change, so it
is not listed.
"""

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from graph_schema.errors import InvalidIdError
from graph_schema.ids import dataset_of_column, id_prefix
from graph_schema.kinds import DATASET_KINDS, EdgeKind, NodeKind
from graph_schema.models import Node
from graph_schema.store import ChangeKind, Direction, GraphStore, RunInfo
from graph_schema.store import ChangeRecord as StoredChange
from server.lineage.columns import dataset_id_of
from server.lineage.walk import closure
from server.tools.schemas.changes import ChangeRecord, RecentChangesOutput

# Props that change on every run (timings, derived lineage summaries) or only restate another change.
VOLATILE_PROPS = frozenset({"last_run", "lineage", "lineage_key", "index", "inferred_from"})
SQL_PROPS = ("raw_sql", "compiled_sql", "sql", "view_definition")
DEFINITION_PROPS = frozenset({
    "expression", "filter", "type_params", "metric_type", "agg", "expr", "agg_time_dimension", "dimension_type",
    "time_granularity", "entity_type", "metrics", "group_by", "where", "model", "primary_entity",
    "non_additive_dimension", "time_grains", "kwargs", "test_name", "severity", "column_name",
})
MAX_RUNS = 200
MAX_CHANGES = 2000
_RUNS_PER_SOURCE = 10_000

Visible = Callable[[Node], bool]
Present = Callable[[Node], Node]


def _same(node: Node) -> Node:
    return node


def _everything(_: Node) -> bool:
    return True


@dataclass
class HistoryRequest:
    root: Node
    scope: Literal["upstream", "self"] = "upstream"
    since: datetime | None = None
    depth: int = 10
    visible: Visible = field(default=_everything)
    present: Present = field(default=_same)


def recent_changes(store: GraphStore, request: HistoryRequest) -> RecentChangesOutput:
    root = request.root
    owner = dataset_id_of(root)
    if owner is not None:
        root = store.get(owner) or root
    watched = _watched(store, root, request)
    tests = _current_tests(store, [i for i, (n, _) in watched.items() if n.kind in DATASET_KINDS])
    since = _aware(request.since) if request.since else None
    changes: list[ChangeRecord] = []
    notes: list[str] = []
    truncated = False
    baselines = _baselines(store)
    for run in store.runs(limit=MAX_RUNS):
        if since is not None and _aware(run.started_at) < since:
            break
        if run.run_id in baselines:
            notes.append(f"{run.source} was first ingested at {run.started_at:%Y-%m-%d %H:%M:%S}: "
                         "history starts there")
            continue
        records = store.changes(run_id=run.run_id, limit=1_000_000)
        changes.extend(_RunReader(run, records, watched, tests, request).read())
        if len(changes) >= MAX_CHANGES:
            truncated = True
            break
    out = RecentChangesOutput(
        changes=changes[:MAX_CHANGES], root=root.id, assets_watched=len(watched), notes=list(dict.fromkeys(notes))
    )
    if truncated:
        out.truncated = True
        out.truncation_note = f"stopped after {MAX_CHANGES} changes; pass since to look at a shorter window"
    if not changes:
        out.notes.append("no changes recorded" + (f" since {since:%Y-%m-%d %H:%M:%S}" if since else ""))
    return out


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _watched(store: GraphStore, root: Node, request: HistoryRequest) -> dict[str, tuple[Node, int]]:
    """The asset and, for scope upstream, everything it is built from (columns excepted), with distances."""
    watched: dict[str, tuple[Node, int]] = {root.id: (root, 0)}
    if request.scope == "upstream":
        found = closure(store, [root.id], Direction.UPSTREAM, [EdgeKind.FEEDS, EdgeKind.HAS_FIELD],
                        [EdgeKind.CONTAINS], request.depth, start_kinds={root.id: root.kind})
        hops = [h for h in found.ordered() if h.kind is not NodeKind.COLUMN]
        nodes = store.get_many(h.id for h in hops)
        for hop in hops:
            node = nodes.get(hop.id)
            if node is not None:
                watched[hop.id] = (node, hop.distance)
    return {i: (n, d) for i, (n, d) in watched.items() if request.visible(n)}


def _current_tests(store: GraphStore, datasets: list[str]) -> dict[str, str]:
    """Test id -> the column or dataset it tests now, for the watched datasets and their columns."""
    if not datasets:
        return {}
    columns = store.traverse(datasets, Direction.DOWNSTREAM, [EdgeKind.HAS_COLUMN], max_depth=1)
    tested = datasets + [h.id for h in columns.reached if h.kind is NodeKind.COLUMN]
    reach = store.traverse(tested, Direction.UPSTREAM, [EdgeKind.TESTS], max_depth=1)
    return {hit.id: hit.path[0] for hit in reach.reached if hit.kind is NodeKind.TEST}


def _baselines(store: GraphStore) -> set[str]:
    """The first run of each source."""
    firsts: set[str] = set()
    for source in {run.source for run in store.runs(limit=MAX_RUNS)}:
        runs = store.runs(source=source, limit=_RUNS_PER_SOURCE)
        if runs and len(runs) < _RUNS_PER_SOURCE:
            firsts.add(runs[-1].run_id)
    return firsts


class _RunReader:
    """The changes one run made to the watched assets."""

    def __init__(self, run: RunInfo, records: list[StoredChange], watched: dict[str, tuple[Node, int]],
                 tests: dict[str, str], request: HistoryRequest) -> None:
        self.run = run
        self.records = records
        self.watched = watched
        self.request = request
        # tests this run attached or detached, plus those attached now
        self.tests = dict(tests)
        for record in records:
            if record.entity == "edge" and record.kind == EdgeKind.TESTS.value:
                test, _, target = record.key.split("|", 2)
                self.tests.setdefault(test, target)
        self.out: list[ChangeRecord] = []

    def read(self) -> list[ChangeRecord]:
        for record in self.records:
            if record.entity == "node":
                self._node(record)
            elif record.kind == EdgeKind.FEEDS.value:
                self._dependency(record)
        self.out.sort(key=lambda c: (c.distance, c.asset_name, c.asset, c.change))
        return self.out

    def _emit(self, asset: str, change: str, summary: str, details: dict[str, Any], diff: str | None = None) -> None:
        node, distance = self.watched[asset]
        self.out.append(ChangeRecord(
            asset=asset, change=change, at=self.run.started_at, details=details, asset_name=node.name,
            asset_kind=node.kind.value, distance=distance, run_id=self.run.run_id, source=self.run.source,
            summary=summary, diff=diff,
        ))

    def _node(self, record: StoredChange) -> None:
        key = record.key
        if key in self.watched:
            self._asset(record)
        elif record.kind == NodeKind.COLUMN.value:
            dataset = _dataset_of(key)
            if dataset in self.watched:
                self._column(record, dataset)
        elif record.kind == NodeKind.TEST.value and key in self.tests:
            target = self.tests[key]
            dataset = _dataset_of(target) if id_prefix(target) == NodeKind.COLUMN.value else target
            if dataset in self.watched:
                self._test(record, dataset, target)

    def _nodes(self, record: StoredChange) -> tuple[Node | None, Node | None]:
        return self._node_of(record.before), self._node_of(record.after)

    def _node_of(self, data: dict[str, Any] | None) -> Node | None:
        if data is None:
            return None
        try:
            return self.request.present(Node.model_validate(data))
        except ValidationError:
            return None

    def _asset(self, record: StoredChange) -> None:
        asset = record.key
        name = self.watched[asset][0].name
        before, after = self._nodes(record)
        if record.change is ChangeKind.ADDED:
            self._emit(asset, "added", f"{name} appeared", {"kind": record.kind})
            return
        if record.change is ChangeKind.REMOVED or before is None or after is None:
            self._emit(asset, "removed", f"{name} disappeared", {"kind": record.kind})
            return
        self._sql(asset, name, before, after)
        changed = {k for k in set(before.props) | set(after.props)
                   if before.props.get(k) != after.props.get(k) and k not in VOLATILE_PROPS and k not in SQL_PROPS}
        definition = sorted(changed & DEFINITION_PROPS)
        if definition:
            details = {k: {"before": before.props.get(k), "after": after.props.get(k)} for k in definition}
            self._emit(asset, "definition_changed", f"{name}: {', '.join(definition)} changed", details,
                       _before_after(details))
        config = sorted(changed - DEFINITION_PROPS)
        if config:
            details = {k: {"before": before.props.get(k), "after": after.props.get(k)} for k in config}
            self._emit(asset, "config_changed", f"{name}: {', '.join(config)} changed", details, _before_after(details))
        if before.owners != after.owners:
            added = [o for o in after.owners if o not in before.owners]
            removed = [o for o in before.owners if o not in after.owners]
            self._emit(asset, "owners_changed", f"{name}: owners now {', '.join(after.owners) or 'none'}",
                       {"added": added, "removed": removed, "before": list(before.owners), "after": list(after.owners)})
        if before.description != after.description:
            details = {"description": {"before": before.description, "after": after.description}}
            self._emit(asset, "description_changed", f"{name}: description changed", details, _before_after(details))
        if before.tags != after.tags:
            self._emit(asset, "tags_changed", f"{name}: tags now {', '.join(after.tags) or 'none'}",
                       {"before": list(before.tags), "after": list(after.tags)})

    def _sql(self, asset: str, name: str, before: Node, after: Node) -> None:
        for prop in SQL_PROPS:
            old, new = before.props.get(prop), after.props.get(prop)
            if old == new:
                continue
            old_text, new_text = str(old or ""), str(new or "")
            diff = "\n".join(difflib.unified_diff(
                old_text.splitlines(), new_text.splitlines(),
                fromfile=f"{name} ({prop}, before)", tofile=f"{name} ({prop}, after)", n=2, lineterm="",
            ))
            added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
            removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
            self._emit(asset, "sql_changed", f"{name}: SQL changed (+{added} -{removed} lines)",
                       {"property": prop, "lines_added": added, "lines_removed": removed}, diff)
            return  # the first SQL prop that changed is the readable one (raw before compiled)

    def _column(self, record: StoredChange, dataset: str) -> None:
        name = self.watched[dataset][0].name
        before, after = self._nodes(record)
        column = (after or before).name if (after or before) else record.key.rsplit("#", 1)[-1]
        if record.change is ChangeKind.ADDED:
            data_type = after.props.get("data_type") if after else None
            self._emit(dataset, "column_added", f"{name}: column {column} added",
                       {"column": column, "data_type": data_type})
            return
        if record.change is ChangeKind.REMOVED or before is None or after is None:
            data_type = before.props.get("data_type") if before else None
            self._emit(dataset, "column_removed", f"{name}: column {column} removed",
                       {"column": column, "data_type": data_type})
            return
        old_type, new_type = before.props.get("data_type"), after.props.get("data_type")
        if old_type != new_type:
            self._emit(dataset, "column_retyped", f"{name}: column {column} {old_type} -> {new_type}",
                       {"column": column, "before": old_type, "after": new_type}, f"{column}: {old_type} -> {new_type}")
        changed = {k: {"before": before.props.get(k), "after": after.props.get(k)}
                   for k in sorted(set(before.props) | set(after.props))
                   if before.props.get(k) != after.props.get(k) and k not in VOLATILE_PROPS and k != "data_type"}
        if before.description != after.description:
            changed["description"] = {"before": before.description, "after": after.description}
        if before.tags != after.tags:
            changed["tags"] = {"before": list(before.tags), "after": list(after.tags)}
        if changed:
            self._emit(dataset, "column_changed", f"{name}: column {column}: {', '.join(changed)} changed",
                       {"column": column, "changed": changed}, _before_after(changed))

    def _test(self, record: StoredChange, dataset: str, target: str) -> None:
        name = self.watched[dataset][0].name
        before, after = self._nodes(record)
        test = after or before
        test_name = test.name if test else record.key
        on = target.rsplit("#", 1)[-1] if "#" in target else None
        where = f" on {on}" if on else ""
        details: dict[str, Any] = {"test": record.key, "test_name": test_name, "column": on}
        if record.change is ChangeKind.ADDED:
            self._emit(dataset, "test_added", f"{name}: test {test_name}{where} added", details)
            return
        if record.change is ChangeKind.REMOVED or before is None or after is None:
            self._emit(dataset, "test_removed", f"{name}: test {test_name}{where} removed", details)
            return
        old_status, new_status = _status(before), _status(after)
        if old_status != new_status and new_status is not None:
            self._emit(dataset, "test_status_changed", f"{name}: test {test_name}{where} now {new_status}",
                       {**details, "before": old_status, "after": new_status}, f"status: {old_status} -> {new_status}")
        changed = {k: {"before": before.props.get(k), "after": after.props.get(k)}
                   for k in sorted(set(before.props) | set(after.props))
                   if before.props.get(k) != after.props.get(k) and k not in VOLATILE_PROPS}
        if changed:
            self._emit(dataset, "test_changed", f"{name}: test {test_name}{where} changed",
                       {**details, "changed": changed}, _before_after(changed))

    def _dependency(self, record: StoredChange) -> None:
        source, _, target = record.key.split("|", 2)
        if target not in self.watched or record.change is ChangeKind.MODIFIED:
            return
        name = self.watched[target][0].name
        other = _short(source)
        if record.change is ChangeKind.ADDED:
            self._emit(target, "upstream_added", f"{name} now reads {other}", {"upstream": source})
        else:
            self._emit(target, "upstream_removed", f"{name} no longer reads {other}", {"upstream": source})


def _dataset_of(column: str) -> str | None:
    try:
        return dataset_of_column(column)
    except InvalidIdError:
        return None


def _status(test: Node) -> str | None:
    last_run = test.props.get("last_run")
    status = last_run.get("status") if isinstance(last_run, dict) else None
    return str(status) if status else None


def _short(node_id: str) -> str:
    body = node_id.split(":", 1)[-1]
    return body.rsplit("/", 1)[-1].rsplit(".", 1)[-1] if id_prefix(node_id) == "dataset" else body.rsplit(".", 1)[-1]


def _before_after(changed: dict[str, dict[str, Any]]) -> str:
    return "\n".join(f"{key}: {_text(v.get('before'))} -> {_text(v.get('after'))}" for key, v in changed.items())


def _text(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    flat = " ".join(str(value).split())
    return flat if len(flat) <= 300 else flat[:299] + "…"

