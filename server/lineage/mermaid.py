"""A trace as a Mermaid flowchart, data flowing left to right."""

from server.tools.schemas.lineage import LineageEdge, LineageNode

_CLASSES = {
    "root": "fill:#fde68a,stroke:#b45309,stroke-width:2px",
    "dataset": "fill:#dbeafe,stroke:#1d4ed8",
    "column": "fill:#e0f2fe,stroke:#0369a1",
    "semantic": "fill:#dcfce7,stroke:#15803d",
    "bi": "fill:#fce7f3,stroke:#be185d",
    "other": "fill:#f3f4f6,stroke:#4b5563",
}
_GROUPS = {
    "source": "dataset", "model": "dataset", "seed": "dataset", "snapshot": "dataset", "table": "dataset",
    "view": "dataset", "column": "column", "metric": "semantic", "semantic_model": "semantic",
    "measure": "semantic", "dimension": "semantic", "entity": "semantic", "saved_query": "semantic",
    "dashboard": "bi", "chart": "bi", "explore": "bi", "field": "bi", "exposure": "bi",
}


def _text(value: str) -> str:
    # Mermaid labels are quoted strings: quotes and angle brackets become entities.
    return value.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def flowchart(root: str, nodes: list[LineageNode], edges: list[LineageEdge], labels: dict[str, str]) -> str:
    """`labels` maps node ids to the text to show (defaults to the node's name)."""
    keys = {node.id: f"n{i}" for i, node in enumerate(nodes)}
    lines = ["flowchart LR"]
    for node in nodes:
        label = _text(labels.get(node.id, node.name))
        lines.append(f'    {keys[node.id]}["{label}<br/><i>{node.kind.value}</i>"]')
    for edge in edges:
        if edge.source not in keys or edge.target not in keys:
            continue
        arrow = "-.->" if edge.kind.value in ("column_shapes", "contains") else "-->"
        tag = edge.transformation or ("" if edge.kind.value in ("feeds", "column_feeds") else edge.kind.value)
        label = f"|{_text(tag)}|" if tag else ""
        lines.append(f"    {keys[edge.source]} {arrow}{label} {keys[edge.target]}")
    for name, style in _CLASSES.items():
        lines.append(f"    classDef {name} {style}")
    members: dict[str, list[str]] = {}
    for node in nodes:
        group = "root" if node.id == root else _GROUPS.get(node.kind.value, "other")
        members.setdefault(group, []).append(keys[node.id])
    for group, ids in members.items():
        lines.append(f"    class {','.join(ids)} {group}")
    return "\n".join(lines) + "\n"
