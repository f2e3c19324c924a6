"""How much text one node may carry into the graph.

A source can hold a text of many megabytes where a few kilobytes are expected (an image pasted into a doc
block, a generated blob in a description). On its way into the store such a text is copied many times
(canonical JSON, hashes, the store's own records): a 100 MB description cost 1.4 GB of memory and seconds
of writing. It is cut here, before the store sees it, and the cut is reported against the node.
"""

from pydantic import JsonValue

from graph_schema.models import Node
from ingestors.common.report import IngestReport

# Far above any real description or model SQL; large enough that nothing real is ever cut.
MAX_TEXT_CHARS = 1_000_000


def bounded_node(node: Node, report: IngestReport) -> Node:
    """`node` with its description and every text in its props cut to MAX_TEXT_CHARS (a warning each)."""
    cut: list[str] = []
    description = _cut(node.description, "description", cut)
    props = _bounded(node.props, "props", cut)
    if not cut:
        return node
    report.warn(node.id, "sink", f"{', '.join(cut)} cut to its first {MAX_TEXT_CHARS} characters")
    assert isinstance(props, dict)
    return node.model_copy(update={"description": description, "props": props})


def _cut(text: str, where: str, cut: list[str]) -> str:
    if len(text) <= MAX_TEXT_CHARS:
        return text
    cut.append(f"{where} of {len(text)} characters")
    return text[:MAX_TEXT_CHARS]


def _bounded(value: JsonValue, where: str, cut: list[str]) -> JsonValue:
    """`value` itself when nothing in it is too long (the common case copies nothing)."""
    if isinstance(value, str):
        return _cut(value, where, cut)
    if isinstance(value, dict):
        items = {key: _bounded(item, f"{where}.{key}", cut) for key, item in value.items()}
        return value if all(items[key] is item for key, item in value.items()) else items
    if isinstance(value, list):
        entries = [_bounded(item, f"{where}[{index}]", cut) for index, item in enumerate(value)]
        return value if all(new is old for new, old in zip(entries, value, strict=True)) else entries
    return value
