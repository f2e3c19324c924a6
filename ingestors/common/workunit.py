"""A work unit: the nodes and edges that one item of a source (a dbt model, a table, a dashboard) yields.

Sources produce work units, the sink writes them; keeping the item with its output lets the report say
which item produced what and lets a failing item be dropped without touching the others.
"""

from dataclasses import dataclass, field

from graph_schema.models import Edge, Node


@dataclass
class WorkUnit:
    item: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
