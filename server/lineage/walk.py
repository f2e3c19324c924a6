"""Breadth-first closures over the graph, with one shortest path per reached node.

Most lineage edges point the way data flows, but containment does not: a dashboard CONTAINS its charts,
an explore CONTAINS its views, while a change flows from the chart to the dashboard. A walk therefore
follows `forward` kinds in its direction and `against` kinds the other way. Forward stretches are single
store traversals (BFS in the engine, never path enumeration); a containment step is looked up only for
the few node kinds that take part in containment, and the walk goes on from each container it finds.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge
from graph_schema.store import Direction, GraphStore
from graph_schema.store.base import MAX_TRAVERSAL_DEPTH

# Kinds that sit on either end of a CONTAINS edge (dashboards, charts/tiles, explores, BI views).
CONTAINMENT_KINDS: frozenset[NodeKind] = frozenset(
    {NodeKind.DASHBOARD, NodeKind.CHART, NodeKind.EXPLORE, NodeKind.FIELD, NodeKind.VIEW}
)
DEFAULT_LIMIT = 10_000


class Hop(NamedTuple):  # a tuple: walks make hundreds per answer
    """A node the walk reached: its distance and one shortest path (ids from a start to it, both included)."""

    id: str
    kind: NodeKind
    name: str
    distance: int
    path: tuple[str, ...]
    via: Edge  # the last edge of the path, in its stored direction
    start: str = ""  # the start it was reached from


@dataclass
class Closure:
    hops: dict[str, Hop]
    truncated: bool = False  # the limit on reached nodes cut the walk short
    depth_capped: bool = False  # the depth asked for exceeds what the store traverses
    in_order: bool = False  # `hops` holds one traversal's answer as it came, already by (distance, id)

    def ordered(self) -> list[Hop]:
        if self.in_order:
            return list(self.hops.values())
        return sorted(self.hops.values(), key=lambda h: (h.distance, h.id))


def opposite(direction: Direction) -> Direction:
    return Direction.UPSTREAM if direction is Direction.DOWNSTREAM else Direction.DOWNSTREAM


def closure(
    store: GraphStore,
    starts: Iterable[str],
    direction: Direction,
    forward: Collection[EdgeKind],
    against: Collection[EdgeKind] = (),
    depth: int = 5,
    limit: int = DEFAULT_LIMIT,
    start_kinds: dict[str, NodeKind] | None = None,
    positions: dict[str, tuple[int, tuple[str, ...]]] | None = None,
) -> Closure:
    """Every node within `depth` hops of a start (starts excluded), each with one shortest path.

    `direction` is UPSTREAM or DOWNSTREAM. `start_kinds` (id -> kind) lets containment be looked up for
    the starts themselves, e.g. the dashboard that contains a chart the walk starts from. `positions`
    (id -> distance, path) places starts that are themselves some hops away from where the question
    began: their hops then count from there, and the depth bounds the whole way.
    """
    if direction is Direction.BOTH:
        raise ValueError("a closure goes one way; walk upstream and downstream separately")
    start_ids = tuple(dict.fromkeys(starts))
    capped = depth > MAX_TRAVERSAL_DEPTH
    depth = min(depth, MAX_TRAVERSAL_DEPTH)
    result = Closure(hops={}, depth_capped=capped)
    excluded = set(start_ids)
    # frontier: node id -> (distance, path) to walk on from
    frontier: dict[str, tuple[int, tuple[str, ...]]] = {s: (positions or {}).get(s, (0, (s,))) for s in start_ids}
    origin = {s: s for s in start_ids}
    # containers are looked up for the starts too (a walk from a chart reaches its dashboard)
    pending = [s for s in start_ids if start_kinds and start_kinds.get(s) in CONTAINMENT_KINDS]
    rounds = 0
    while frontier:
        rounds += 1
        added = _forward(store, result, frontier, origin, direction, forward, depth, limit, excluded)
        # A traversal answers by (distance, id); one from a single distance, with nothing after it, is the walk.
        result.in_order = rounds == 1 and len({d for d, _ in frontier.values()}) == 1
        frontier = {}
        if against:
            queue = pending + [h.id for h in added if h.kind in CONTAINMENT_KINDS]
            frontier = _containers(store, result, queue, direction, against, depth, start_ids, excluded, positions)
            for node_id in frontier:
                origin[node_id] = result.hops[node_id].start
            result.in_order = result.in_order and not frontier
        pending = []
        if len(result.hops) > limit:
            result.truncated = True
            kept = sorted(result.hops.values(), key=lambda h: (h.distance, h.id))[:limit]
            result.hops = {h.id: h for h in kept}
            break
    return result


def _forward(
    store: GraphStore,
    result: Closure,
    frontier: dict[str, tuple[int, tuple[str, ...]]],
    origin: dict[str, str],
    direction: Direction,
    forward: Collection[EdgeKind],
    depth: int,
    limit: int,
    excluded: set[str],
) -> list[Hop]:
    """One store traversal per distinct distance in the frontier, nearest first; the hops that improved the result.

    A member that a nearer traversal already reached, at no greater distance than its own, is not walked
    from again: everything below it was reached as near or nearer (one shortest path is kept either way).
    """
    added: list[Hop] = []
    if not forward:
        return added
    walked_past: dict[str, int] = {}  # frontier members reached by a traversal so far -> nearest distance
    for base, members in sorted(_by_distance(frontier).items()):
        members = [m for m in members if walked_past.get(m, base + 1) > base]
        if base >= depth or not members:
            continue
        traversal = store.traverse(members, direction, forward, max_depth=depth - base, limit=limit)
        result.truncated |= traversal.truncated
        for hit in traversal.reached:
            start_path = frontier[hit.path[0]][1]
            path = hit.path if len(start_path) == 1 else start_path + hit.path[1:]
            hop = Hop(hit.id, hit.kind, hit.name, base + hit.distance, path, hit.via, origin.get(hit.path[0], hit.path[0]))
            if hit.id in frontier and not traversal.truncated:
                walked_past[hit.id] = min(walked_past.get(hit.id, hop.distance), hop.distance)
            if _offer(result, hop, excluded):
                added.append(hop)
    return added


def _containers(
    store: GraphStore,
    result: Closure,
    queue: list[str],
    direction: Direction,
    against: Collection[EdgeKind],
    depth: int,
    starts: tuple[str, ...],
    excluded: set[str],
    positions: dict[str, tuple[int, tuple[str, ...]]] | None,
) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Follow `against` kinds backwards from the queued nodes, transitively; the new nodes to walk on from."""
    found: dict[str, tuple[int, tuple[str, ...]]] = {}
    seen: set[str] = set()
    while queue:
        node_id = queue.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        distance, path = _position(result, node_id, starts, positions)
        if distance >= depth:
            continue
        start = node_id if node_id in starts else result.hops[node_id].start
        for neighbour in store.neighbours(node_id, opposite(direction), against):
            node = neighbour.node
            hop = Hop(node.id, node.kind, node.name, distance + 1, path + (node.id,), neighbour.edge, start)
            if _offer(result, hop, excluded):
                found[node.id] = (hop.distance, hop.path)
                if node.kind in CONTAINMENT_KINDS:
                    queue.append(node.id)
    return found


def _by_distance(frontier: dict[str, tuple[int, tuple[str, ...]]]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for node_id, (distance, _) in sorted(frontier.items()):
        groups.setdefault(distance, []).append(node_id)
    return groups


def _position(result: Closure, node_id: str, starts: tuple[str, ...],
              positions: dict[str, tuple[int, tuple[str, ...]]] | None) -> tuple[int, tuple[str, ...]]:
    if node_id in starts:
        return (positions or {}).get(node_id, (0, (node_id,)))
    hop = result.hops[node_id]
    return hop.distance, hop.path


def _offer(result: Closure, hop: Hop, excluded: set[str]) -> bool:
    """Keep `hop` if it is the first or a shorter way to its node; True when kept."""
    if hop.id in excluded:
        return False
    known = result.hops.get(hop.id)
    if known is not None and (known.distance, known.path) <= (hop.distance, hop.path):
        return False
    result.hops[hop.id] = hop
    return True
