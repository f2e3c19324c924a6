"""Cycles in the depends_on graph of a dbt project's models, seeds and snapshots.

dbt refuses to build a project whose nodes depend on each other in a circle, so a manifest holding one was
edited by hand or written by another tool. The ingest still takes it in as it is (each edge is what the
manifest says); each cycle is reported so that lineage going round in a circle is explained.

Manifests hold tens of thousands of nodes and a cycle can be as long as the project, so nothing here
recurses: Python's recursion limit would stop a depth-first search long before.
"""

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# A report line names at most this many nodes; a longer cycle is counted, not listed.
MAX_NAMED = 20


@dataclass(frozen=True)
class Cycle:
    """`path[0]` depends on `path[1]`, ..., and the last of `path` on `path[0]`."""

    path: tuple[str, ...]
    # the rest of the nodes that are in cycles with these (one strongly connected set), by id
    others: tuple[str, ...] = ()

    def message(self) -> str:
        """What the report says against `path[0]`."""
        text = "depends on itself"
        if len(self.path) > 1:
            text += f" through {_named(self.path[1:], ' -> ')}"
        if self.others:
            more = "1 more node is" if len(self.others) == 1 else f"{len(self.others)} more nodes are"
            text += f"; {more} in cycles with it: {_named(self.others, ', ')}"
        return text


def depends_on_cycles(parents: Mapping[str, Iterable[str]]) -> list[Cycle]:
    """One cycle per set of nodes that depend on each other, ordered by their first id.

    `parents` maps each node to what it depends on; parents that are not keys are left out (a source,
    a macro). Each set is reported by the shortest cycle through its smallest id, then its other members.
    """
    graph = {node: [p for p in dict.fromkeys(ups) if p in parents] for node, ups in parents.items()}
    cycles: list[Cycle] = []
    for component in strongly_connected(graph):
        start = min(component)
        if len(component) == 1 and start not in graph[start]:
            continue
        members = set(component)
        path = shortest_cycle(start, graph, members)
        cycles.append(Cycle(path=tuple(path), others=tuple(sorted(members.difference(path)))))
    return sorted(cycles, key=lambda cycle: cycle.path[0])


def strongly_connected(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """The strongly connected components of `graph` (every edge's target is a key): Tarjan, iteratively.

    An explicit stack of (node, its remaining edges) stands in for the recursion of the textbook version.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for root in graph:
        if root in index:
            continue
        visit(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    visit(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                # every edge of `node` followed: hand its low link to its caller, close its component
                work.pop()
                if work:
                    caller = work[-1][0]
                    low[caller] = min(low[caller], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def shortest_cycle(start: str, graph: Mapping[str, Sequence[str]], members: set[str]) -> list[str]:
    """The fewest nodes from `start` back to it along `graph`'s edges within `members` (breadth first)."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in graph[node]:
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if target in members and target not in came_from:
                came_from[target] = node
                queue.append(target)
    raise ValueError(f"{start} is on no cycle within the nodes given")


def _named(ids: Sequence[str], separator: str) -> str:
    shown = separator.join(ids[:MAX_NAMED])
    return shown if len(ids) <= MAX_NAMED else f"{shown}{separator}… ({len(ids) - MAX_NAMED} more)"
