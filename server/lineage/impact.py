"""impact_analysis: what a planned change breaks or puts at risk downstream, consumer by consumer.

Column changes (drop, rename, retype, logic change of one column) walk the column's own lineage - the
columns derived from it, the measures, dimensions and BI fields defined on it, the metrics and charts on
those - and classify each consumer by how it reads the column (see `severity`). Around that walk:

- a dataset that selects an affected column, or filters, joins or groups by one, is affected itself;
- a semantic model (or explore) is affected through its fields; metric filters and saved queries that name
  an affected dimension, and measures aggregated over it, are too;
- an exposure (or any reader that does not say which columns it uses) of an affected dataset is affected;
- a downstream model whose column lineage is unknown may read the column: at risk, with what it feeds;
- where the rows of a dataset change (its filter, join or group-by column changes), everything built from
  it is at risk. Downstream assets that provably do not touch the column are left out.

Asset changes: drop_asset breaks every direct reader and everything defined on its columns; rename_asset
breaks the direct readers, which need the new name; modify_logic puts everything downstream at risk.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from graph_schema.kinds import DATASET_KINDS, EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.store import Direction, GraphStore
from server.errors import InvalidArgumentsError
from server.lineage import coverage as cov
from server.lineage.columns import columns_of, dataset_id_of, display_name
from server.lineage.impact_report import Finding, Subject, build_report
from server.lineage.semantic_refs import dimension_ref, mentions, referenced_dimensions, uses_time_dimension
from server.lineage.severity import (
    AT_RISK,
    BREAKS,
    TYPE_CARRIED,
    Effect,
    Severity,
    TypeChange,
    relation,
    shaping_step,
    value_step,
)
from server.lineage.walk import CONTAINMENT_KINDS, DEFAULT_LIMIT, Closure, Hop, closure
from server.tools.schemas.lineage import ChangeSpec, ImpactReport

COLUMN_CHANGES = frozenset({"drop_column", "rename_column", "change_type"})
VALUE_KINDS = (EdgeKind.COLUMN_FEEDS, EdgeKind.FEEDS)
ASSET_KINDS = (EdgeKind.FEEDS, EdgeKind.HAS_FIELD)
AGAINST = (EdgeKind.CONTAINS,)
FIELD_KINDS = frozenset({NodeKind.MEASURE, NodeKind.DIMENSION, NodeKind.ENTITY, NodeKind.FIELD})
# Readers of a dataset that hold fields: whether they are affected is decided field by field.
_FIELD_HOLDERS = frozenset({NodeKind.SEMANTIC_MODEL, NodeKind.EXPLORE})
# What filters, joins or groups rows: warehouse columns, and BI fields in an explore's joins.
SHAPING_KINDS = frozenset({NodeKind.COLUMN, NodeKind.FIELD})

Visible = Callable[[Node], bool]


def _everything(_: Node) -> bool:
    return True


@dataclass
class ImpactRequest:
    target: Node  # the asset that changes
    change: ChangeSpec
    column: Node | None = None  # the column that changes (column changes, or a logic change of one column)
    depth: int = 10
    limit: int = DEFAULT_LIMIT
    visible: Visible = field(default=_everything)


def check_change(change: ChangeSpec, has_column: bool) -> None:
    """InvalidArgumentsError naming what the change lacks."""
    if change.type in COLUMN_CHANGES and not has_column:
        raise InvalidArgumentsError(f"{change.type} needs change.column (or a column as ref)")
    if change.type in ("rename_column", "rename_asset") and not (change.new_name or "").strip():
        raise InvalidArgumentsError(f"{change.type} needs change.new_name")
    if change.type == "change_type" and not (change.new_type or "").strip():
        raise InvalidArgumentsError("change_type needs change.new_type")


def analyse(store: GraphStore, request: ImpactRequest) -> ImpactReport:
    """What the change breaks or puts at risk, read from one state of the graph."""
    check_change(request.change, request.column is not None)
    return store.read_consistently(lambda: _analyse(store, request))


def _analyse(store: GraphStore, request: ImpactRequest) -> ImpactReport:
    impact = _Impact(store, request)
    kind = request.change.type
    if request.column is not None and kind in (*COLUMN_CHANGES, "modify_logic"):
        impact.column_change()
    elif kind == "drop_asset":
        impact.drop_asset()
    elif kind == "rename_asset":
        impact.rename_asset()
    else:
        impact.logic_change()
    subject = Subject(request.change, request.target, request.column, request.visible)
    return build_report(store, subject, impact.findings, impact.nodes, impact.notes, impact.truncated)


class _Impact:
    def __init__(self, store: GraphStore, request: ImpactRequest) -> None:
        self.store = store
        self.request = request
        self.change = request.change
        self.target = request.target
        self.column = request.column
        self.nodes: dict[str, Node] = {request.target.id: request.target}
        if request.column is not None:
            self.nodes[request.column.id] = request.column
        self.findings: dict[str, Finding] = {}
        self.notes: list[str] = []
        self.truncated = False
        # datasets whose rows may change: everything built from them is at risk
        self.rows_change: dict[str, Finding] = {}
        self.excluded = {request.target.id} | ({request.column.id} if request.column else set())

    # ---- bookkeeping -------------------------------------------------------------------------

    def load(self, ids: Iterable[str]) -> None:
        missing = {i for i in ids if i not in self.nodes}
        if missing:
            self.nodes.update(self.store.get_many(missing))

    def name(self, node_id: str) -> str:
        node = self.nodes.get(node_id)
        return display_name(node) if node is not None else node_id

    def offer(self, finding: Finding) -> bool:
        """Keep the strongest finding per node (then the nearest); True when this one was kept."""
        if finding.id in self.excluded or finding.effect.severity is Severity.NONE:
            return False
        known = self.findings.get(finding.id)
        if known is not None and (known.effect.severity, -known.distance) >= (finding.effect.severity, -finding.distance):
            return False
        self.findings[finding.id] = finding
        return True

    def walk(self, starts: list[str], kinds: Iterable[EdgeKind], base: int = 0) -> list[Hop]:
        """The closure downstream of `starts`, which sit `base` hops from the change (distances from them)."""
        left = self.request.depth - base
        if left <= 0 or not starts:
            return []
        found = closure(self.store, starts, Direction.DOWNSTREAM, list(kinds), AGAINST, left, self.request.limit,
                        {s: self.nodes[s].kind for s in starts if s in self.nodes})
        return self._hops(found)

    def walk_from(self, starts: list[Finding], kinds: Iterable[EdgeKind]) -> list[Hop]:
        """One closure downstream of several findings at once; distances and paths count from the change."""
        if not starts:
            return []
        positions = {f.id: (f.distance, f.path) for f in starts}
        found = closure(self.store, list(positions), Direction.DOWNSTREAM, list(kinds), AGAINST, self.request.depth,
                        self.request.limit, {f.id: self.nodes[f.id].kind for f in starts if f.id in self.nodes},
                        positions)
        return self._hops(found)

    def _hops(self, found: Closure) -> list[Hop]:
        self.truncated |= found.truncated or found.depth_capped
        hops = found.ordered()
        self.load(h.id for h in hops)
        return hops

    # ---- column changes ----------------------------------------------------------------------

    def column_change(self) -> None:
        column = self.column
        if column is None:
            raise InvalidArgumentsError(f"{self.change.type} needs a column")
        kind = self.change.type
        type_change = None
        if kind == "change_type":
            old = column.props.get("data_type")
            type_change = TypeChange(str(old) if old else None, str(self.change.new_type))
        origin = {"drop_column": BREAKS, "rename_column": BREAKS, "change_type": TYPE_CARRIED}.get(kind, AT_RISK)
        contract = self.target.props.get("contract")
        if kind in COLUMN_CHANGES and isinstance(contract, dict) and contract.get("enforced"):
            self.notes.append(f"{self.target.name} has an enforced contract: this change breaks it, so the contract "
                              "(and the model's version) must change with it")
        hops = self.walk([column.id], VALUE_KINDS)
        if kind == "rename_column":
            hops = [h for h in hops if h.distance == 1]  # only direct readers name the column
        self.load(d for h in hops if (d := dataset_id_of(self.nodes[h.id])) is not None)
        effects = self._effects(column.id, origin, hops, type_change)
        positions = {column.id: (0, (column.id,))} | {h.id: (h.distance, h.path) for h in hops}
        for hop in hops:
            effect, edge = effects.get(hop.id, (None, hop.via))
            if effect is not None:
                self.offer(self._value_finding(hop, effect, edge, effects))
        self._holders(hops, effects)
        shaping = [(column.id, origin)]
        if kind != "rename_column":
            shaping += [(h.id, effects[h.id][0]) for h in hops if h.kind in SHAPING_KINDS and h.id in effects]
        self._shaping(shaping, positions, type_change)
        dataset = dataset_id_of(column)
        consumer_effect = BREAKS if kind in ("drop_column", "rename_column") else AT_RISK
        touched = {dataset: Finding(dataset, consumer_effect, 0, (dataset,), "")} if dataset else {}
        # A rename leaves the readers' own outputs as they were once they read the new name.
        renamed = kind == "rename_column"
        unknown = self._dataset_consumers(touched, of_findings=not renamed)
        self._at_risk_downstream(unknown if not renamed else [])
        if not renamed:  # fields and dimensions keep their names when the column under them is renamed
            self._explores()
            self._semantic_refs()

    def _effects(self, origin_id: str, origin: Effect, hops: list[Hop], type_change: TypeChange | None
                 ) -> dict[str, tuple[Effect, Edge]]:
        """Effect on each reached node, with the edge it came by. A type change takes the strongest effect over
        every edge into the node; other changes affect everything reached alike."""
        if type_change is None:
            return {h.id: (origin, h.via) for h in hops}
        members = {origin_id} | {h.id for h in hops}
        incoming: dict[str, list[Edge]] = {}
        for hop in hops:
            edges = [n.edge for n in self.store.neighbours(hop.id, Direction.UPSTREAM, VALUE_KINDS)
                     if n.edge.source in members]
            if hop.kind in CONTAINMENT_KINDS:
                edges += [n.edge for n in self.store.neighbours(hop.id, Direction.DOWNSTREAM, AGAINST)
                          if n.edge.target in members]
            incoming[hop.id] = edges or [hop.via]
        states: dict[str, tuple[Effect, Edge]] = {}
        current = {origin_id: origin}
        for _ in range(len(hops) + 1):
            changed = False
            for hop in hops:
                best: tuple[Effect, Edge] | None = None
                for edge in incoming[hop.id]:
                    source = edge.target if edge.kind is EdgeKind.CONTAINS else edge.source
                    if source not in current:
                        continue
                    effect = self._step(current[source], edge, hop.id, type_change)
                    if best is None or effect > best[0]:
                        best = (effect, edge)
                if best is not None and (hop.id not in states or best[0] > states[hop.id][0]):
                    states[hop.id] = best
                    current[hop.id] = best[0]
                    changed = True
            if not changed:
                break
        return states

    def _step(self, source: Effect, edge: Edge, target_id: str, type_change: TypeChange | None) -> Effect:
        if edge.kind is EdgeKind.CONTAINS:
            return BREAKS if source.severity is Severity.BREAKING else AT_RISK
        props = edge.props
        transformation = props.get("transformation")
        expression = props.get("expression")
        source_node = self.nodes.get(edge.source)
        return value_step(source, str(transformation) if transformation else None,
                          str(expression) if isinstance(expression, str) else None, self.nodes[target_id], type_change,
                          source_node.name if source_node is not None else "")

    def _value_finding(self, hop: Hop, effect: Effect, edge: Edge, effects: dict[str, tuple[Effect, Edge]]
                       ) -> Finding:
        source = edge.target if edge.kind is EdgeKind.CONTAINS else edge.source
        node = self.nodes[hop.id]
        direct = source == (self.column.id if self.column else None)
        source_effect = effects[source][0] if source in effects else None
        reason = f"{self._how(node, edge)}{self._consequence(direct, source_effect, effect)}"
        return Finding(hop.id, effect, hop.distance, hop.path, reason, self._rename_action(node, direct))

    def _how(self, node: Node, edge: Edge) -> str:
        """How `node` reads the other end of `edge`, in words."""
        source = edge.target if edge.kind is EdgeKind.CONTAINS else edge.source
        props = edge.props
        expression = props.get("expression") if isinstance(props.get("expression"), str) else None
        if edge.kind is EdgeKind.CONTAINS:
            return f"contains {self.name(source)}"
        if node.kind in FIELD_KINDS and edge.kind is EdgeKind.FEEDS and self._is_column(source):
            return f"defined on {self.name(source)}"
        if node.kind is NodeKind.METRIC:
            what = self.nodes[source].kind.value if source in self.nodes else "input"
            return f"metric built on {what} {self.name(source)}"
        if node.kind is NodeKind.SAVED_QUERY:
            return f"queries metric {self.name(source)}"
        transformation = props.get("transformation")
        return relation(str(transformation) if transformation else None, expression, self.name(source))

    def _is_column(self, node_id: str) -> bool:
        node = self.nodes.get(node_id)
        return node is not None and node.kind is NodeKind.COLUMN

    def _consequence(self, direct: bool, source: Effect | None, effect: Effect) -> str:
        kind = self.change.type
        if direct:
            if kind == "drop_column":
                return "; the column is dropped"
            if kind == "rename_column":
                return f"; the column is renamed to {self.change.new_name}"
            if kind == "change_type":
                old = self.column.props.get("data_type") if self.column else None
                return "; its type changes " + TypeChange(str(old) if old else None, str(self.change.new_type)).describe()
            return "; its logic changes"
        if effect.severity is Severity.BREAKING:
            if source is None or source.severity is Severity.BREAKING:
                return ", which breaks"
            return f", which now has type {self.change.new_type}, incompatible with this use"
        if effect.carries_type:
            return f", which now has type {self.change.new_type}"
        return ", whose values may change"

    def _rename_action(self, node: Node, direct: bool) -> str | None:
        if self.change.type != "rename_column" or not direct or self.column is None:
            return None
        old, new = self.column.name, self.change.new_name
        if node.kind is NodeKind.COLUMN:
            holder = self.name(dataset_id_of(node) or node.id)
            return f"in {holder}, read {new} instead of {old} (alias it as {node.name} to keep downstream unchanged)"
        if node.kind in FIELD_KINDS:
            return f"point the expr of {node.kind.value} {node.name} at {new}"
        return f"replace {old} with {new} in {node.name}"

    def _holders(self, hops: list[Hop], effects: dict[str, tuple[Effect, Edge]]) -> None:
        """Datasets that hold affected columns, semantic models and explores that hold affected fields."""
        for hop in hops:
            if hop.id not in effects:
                continue
            effect = Effect(effects[hop.id][0].severity)
            node = self.nodes[hop.id]
            owner = dataset_id_of(node)
            if owner is not None and owner in self.nodes:
                reads = f"column {node.name}: {self._short_reason(hop.id)}"
                self.offer(Finding(owner, effect, hop.distance, hop.path + (owner,), reads,
                                   self._holder_action(owner, hop)))
            elif node.kind in FIELD_KINDS:
                for found in self.store.neighbours(hop.id, Direction.UPSTREAM, [EdgeKind.HAS_FIELD]):
                    holder = found.node
                    self.nodes.setdefault(holder.id, holder)
                    reads = f"{node.kind.value} {node.name}: {self._short_reason(hop.id)}"
                    self.offer(Finding(holder.id, effect, hop.distance, hop.path + (holder.id,), reads,
                                       self._holder_action(holder.id, hop)))

    def _explores(self) -> None:
        """Explores that join an affected BI view (a view feeds the explores it is joined into)."""
        views = [f for f in self.findings.values()
                 if f.id in self.nodes and self.nodes[f.id].kind is NodeKind.SEMANTIC_MODEL]
        for view in sorted(views, key=lambda f: (f.distance, f.id)):
            for found in self.store.neighbours(view.id, Direction.DOWNSTREAM, [EdgeKind.FEEDS]):
                if found.node.kind is not NodeKind.EXPLORE:
                    continue
                self.nodes.setdefault(found.node.id, found.node)
                verb = "breaks" if view.effect.severity is Severity.BREAKING else "may change"
                self.offer(Finding(found.node.id, Effect(view.effect.severity), view.distance + 1,
                                   view.path + (found.node.id,), f"joins view {self.name(view.id)}, which {verb}"))

    def _short_reason(self, node_id: str) -> str:
        finding = self.findings.get(node_id)
        return finding.reason if finding is not None else "is affected"

    def _holder_action(self, holder: str, hop: Hop) -> str | None:
        if self.change.type != "rename_column" or hop.distance != 1:
            return None
        return f"in {self.name(holder)}, replace {self.column.name if self.column else ''} with {self.change.new_name}"

    def _shaping(self, columns: list[tuple[str, Effect]], positions: dict[str, tuple[int, tuple[str, ...]]],
                 type_change: TypeChange | None) -> None:
        """Datasets whose rows an affected column filters, joins or groups."""
        origin = self.column.id if self.column is not None else None
        for column, effect in columns:
            distance, path = positions[column]
            if distance + 1 > self.request.depth:
                continue
            for found in self.store.neighbours(column, Direction.DOWNSTREAM, [EdgeKind.COLUMN_SHAPES]):
                role = str(found.edge.props.get("role") or "filter")
                self.nodes.setdefault(found.node.id, found.node)
                shaped = Effect(shaping_step(effect, role, type_change).severity)
                reason = relation(role, None, self.name(column)) + self._consequence(column == origin, effect, shaped)
                action = None
                if self.change.type == "rename_column":
                    action = f"in {found.node.name}, use {self.change.new_name} instead of {self.nodes[column].name}"
                finding = Finding(found.node.id, shaped, distance + 1, path + (found.node.id,), reason, action)
                self.offer(finding)
                if self.change.type != "rename_column":
                    known = self.rows_change.get(found.node.id)
                    if known is None or known.distance > finding.distance:
                        self.rows_change[found.node.id] = finding

    def _semantic_refs(self) -> None:
        """Metric filters, saved queries and time aggregations that name an affected dimension; they take
        the dimension's severity. Runs last, over every dimension found affected."""
        dimensions = [f for f in self.findings.values()
                      if f.id in self.nodes and self.nodes[f.id].kind is NodeKind.DIMENSION]
        wanted: list[tuple[Finding, str]] = []
        for dimension in sorted(dimensions, key=lambda f: (-int(f.effect.severity), f.distance, f.id)):
            node = self.nodes[dimension.id]
            for holder in self.store.neighbours(dimension.id, Direction.UPSTREAM, [EdgeKind.HAS_FIELD]):
                ref = dimension_ref(node, holder.node)
                if ref:
                    wanted.append((dimension, ref))
                for measure in self.store.neighbours(holder.node.id, Direction.DOWNSTREAM, [EdgeKind.HAS_FIELD]):
                    if uses_time_dimension(measure.node, node):
                        self.nodes.setdefault(measure.node.id, measure.node)
                        self._offer_dependent(measure.node.id, dimension, f"is aggregated over time dimension {node.name}")
        if not wanted:
            return
        for candidate in self.store.nodes([NodeKind.METRIC, NodeKind.SAVED_QUERY]):
            edges = [n.edge.props for n in self.store.neighbours(candidate.id, Direction.UPSTREAM, [EdgeKind.FEEDS])
                     if n.edge.props.get("filter")] if candidate.kind is NodeKind.METRIC else []
            refs = referenced_dimensions(candidate, edges)
            for dimension, ref in wanted:
                if mentions(refs, ref):
                    self.nodes.setdefault(candidate.id, candidate)
                    how = "groups by or filters on" if candidate.kind is NodeKind.SAVED_QUERY else "filters on"
                    self._offer_dependent(candidate.id, dimension, f"{how} dimension {ref}")

    def _offer_dependent(self, node_id: str, dimension: Finding, how: str) -> None:
        """A node that depends on `dimension` without an edge, and what is built on it."""
        effect = Effect(dimension.effect.severity)
        suffix = ", which breaks" if effect.severity is Severity.BREAKING else ", whose values may change"
        finding = Finding(node_id, effect, dimension.distance + 1, dimension.path + (node_id,), how + suffix)
        if not self.offer(finding):
            return
        for below in self.walk([node_id], (EdgeKind.FEEDS,), finding.distance):
            reason = f"built on {self.name(below.via.source)}" + suffix
            self.offer(Finding(below.id, effect, finding.distance + below.distance,
                               finding.path + below.path[1:], reason))

    def _dataset_consumers(self, touched: dict[str, Finding], of_findings: bool = True) -> list[Finding]:
        """Readers of affected datasets that column lineage cannot speak for: `touched` and, with
        `of_findings`, every dataset found affected so far. Returns the readers that may read the change
        because their column lineage is unknown: what is built from them is at risk too."""
        sources = dict(touched)
        for finding in list(self.findings.values()) if of_findings else []:
            node = self.nodes.get(finding.id)
            if node is not None and node.kind in DATASET_KINDS:
                sources.setdefault(finding.id, finding)
        unknown: list[Finding] = []
        near = [(i, s) for i, s in sorted(sources.items(), key=lambda s: (s[1].distance, s[0]))
                if s.distance + 1 <= self.request.depth]
        readers = self.store.neighbours_of([i for i, _ in near], Direction.DOWNSTREAM, [EdgeKind.FEEDS])
        for source_id, source in near:
            for found in readers[source_id]:
                reader = found.node
                self.nodes.setdefault(reader.id, reader)
                if reader.id in self.excluded or reader.kind in _FIELD_HOLDERS:
                    continue
                path = source.path + (reader.id,)
                distance = source.distance + 1
                what = self.name(source_id)
                if reader.kind in DATASET_KINDS or reader.kind is NodeKind.JOB:
                    if reader.id in self.findings or (reader.kind in DATASET_KINDS and cov.is_complete(reader)):
                        continue  # its column lineage says whether (and how) it reads the column
                    status = cov.dataset_coverage(reader)
                    why = f"column lineage {status.status}: {status.reason}" if status else "a job: columns not known"
                    finding = Finding(reader.id, AT_RISK, distance, path,
                                      f"reads {what} and may read {self._changed()} ({why})", self._check_action(reader))
                    if self.offer(finding):
                        unknown.append(finding)
                    continue
                effect = Effect(source.effect.severity)
                verb = self._verb(effect) if source_id == self._changed_dataset() else (
                    "breaks" if effect.severity is Severity.BREAKING else "changes")
                self.offer(Finding(reader.id, effect, distance, path,
                                   f"{reader.kind.value} on {what}, which {verb}; "
                                   "it does not say which columns it uses", self._check_action(reader)))
        return unknown

    def _changed_dataset(self) -> str | None:
        return dataset_id_of(self.column) if self.column is not None else self.target.id

    def _changed(self) -> str:
        return self.name(self.column.id) if self.column is not None else self.name(self.target.id)

    def _verb(self, effect: Effect) -> str:
        if effect.severity is Severity.BREAKING:
            return {"drop_column": "loses the column", "rename_column": "renames the column",
                    "drop_asset": "is dropped", "rename_asset": "is renamed"}.get(self.change.type, "breaks")
        return "changes"

    def _check_action(self, reader: Node) -> str | None:
        if self.change.type == "rename_column" and self.column is not None:
            return f"check {reader.name} for uses of {self.column.name}; it is now {self.change.new_name}"
        if self.change.type == "rename_asset":
            return f"update {reader.name} to read {self.change.new_name} instead of {self.target.name}"
        return None

    def _at_risk_downstream(self, unknown: list[Finding]) -> None:
        """What is built from datasets whose rows may change, and from readers that may read the change
        (`unknown`): at risk, in one walk from all of them, each item with the reason of the start it hangs on."""
        reasons = {f.id: f"built from {self.name(f.id)}, whose rows may change" for f in self.rows_change.values()}
        reasons |= {f.id: f"downstream of {self.name(f.id)}, which may read {self._changed()}" for f in unknown}
        nearest: dict[str, Finding] = {}
        for finding in [*self.rows_change.values(), *unknown]:
            known = nearest.get(finding.id)
            if known is None or finding.distance < known.distance:
                nearest[finding.id] = finding
        self._at_risk_closures(reasons, sorted(nearest.values(), key=lambda f: (f.distance, f.id)))

    def _at_risk_closures(self, reasons: dict[str, str], starts: list[Finding]) -> None:
        """Everything downstream of `starts` is at risk, each for the reason of the start it hangs on."""
        for hop in self.walk_from(starts, ASSET_KINDS):
            node = self.nodes.get(hop.id)
            if node is None or node.kind is NodeKind.COLUMN:
                continue
            self.offer(Finding(hop.id, AT_RISK, hop.distance, hop.path, f"{self._link(hop)}; {reasons[hop.start]}"))

    def _link(self, hop: Hop) -> str:
        """How a node reached by an asset-level walk hangs on the node before it."""
        via = hop.via
        if via.kind is EdgeKind.CONTAINS:
            return f"contains {self.name(via.target)}"
        name = self.name(via.source)
        node = self.nodes.get(hop.id)
        if via.kind is EdgeKind.HAS_FIELD:
            return f"{node.kind.value if node else 'field'} of {name}"
        if node is not None and node.kind is NodeKind.METRIC:
            source = self.nodes.get(via.source)
            return f"metric built on {source.kind.value if source else 'input'} {name}"
        if node is not None and node.kind is NodeKind.SAVED_QUERY:
            return f"queries metric {name}"
        return f"reads {name}"

    # ---- asset changes -----------------------------------------------------------------------

    def drop_asset(self) -> None:
        target = self.target
        base = (target.id,)
        columns = columns_of(self.store, target.id)
        for column in columns:
            self.nodes.setdefault(column.id, column)
            self.excluded.add(column.id)
        hops = self.walk([c.id for c in columns], VALUE_KINDS)
        self.load(d for h in hops if (d := dataset_id_of(self.nodes[h.id])) is not None)
        hops = [Hop(h.id, h.kind, h.name, h.distance, base + h.path, h.via) for h in hops]
        effects = {h.id: (BREAKS, h.via) for h in hops}
        dropped = {c.id for c in columns}
        for hop in hops:
            source = hop.via.target if hop.via.kind is EdgeKind.CONTAINS else hop.via.source
            consequence = f"; {target.name} is dropped" if source in dropped else ", which breaks"
            self.offer(Finding(hop.id, BREAKS, hop.distance, hop.path,
                               self._how(self.nodes[hop.id], hop.via) + consequence))
        self._holders(hops, effects)
        positions = {c.id: (0, base + (c.id,)) for c in columns} | {h.id: (h.distance, h.path) for h in hops}
        self._shaping([(c.id, BREAKS) for c in columns] + [(h.id, BREAKS) for h in hops if h.kind in SHAPING_KINDS],
                      positions, None)
        for found in self.store.neighbours(target.id, Direction.DOWNSTREAM, [EdgeKind.FEEDS]):
            reader = found.node
            self.nodes.setdefault(reader.id, reader)
            finding = Finding(reader.id, BREAKS, 1, (target.id, reader.id), f"reads {target.name}, which is dropped")
            self.offer(finding)
            if reader.kind in DATASET_KINDS or reader.kind is NodeKind.JOB:
                self.rows_change.setdefault(reader.id, finding)
            elif reader.kind in _FIELD_HOLDERS:
                for hop in self.walk([reader.id], ASSET_KINDS, 1):
                    self.offer(Finding(hop.id, BREAKS, 1 + hop.distance, finding.path + hop.path[1:],
                                       f"{self._link(hop)}, which is defined on {target.name}"))
        self._at_risk_downstream(self._dataset_consumers({}))
        self._explores()
        self._semantic_refs()

    def rename_asset(self) -> None:
        target = self.target
        for found in self.store.neighbours(target.id, Direction.DOWNSTREAM, [EdgeKind.FEEDS]):
            reader = found.node
            self.nodes.setdefault(reader.id, reader)
            self.offer(Finding(reader.id, BREAKS, 1, (target.id, reader.id),
                               f"reads {target.name}, which is renamed to {self.change.new_name}",
                               self._check_action(reader)))
        self.notes.append("apply the new name in the direct readers listed; nothing further downstream changes")

    def logic_change(self) -> None:
        target = self.target
        for hop in self.walk([target.id], ASSET_KINDS):
            node = self.nodes.get(hop.id)
            if node is None or node.kind is NodeKind.COLUMN:
                continue
            self.offer(Finding(hop.id, AT_RISK, hop.distance, hop.path,
                               f"{self._link(hop)}; the logic of {target.name} changes, so its values may too"))
        self._semantic_refs()
