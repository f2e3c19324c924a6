"""Keep answers inside the token budget: cut the largest lists (then strings) and say so in the result."""

import json
from typing import Any

CHARS_PER_TOKEN = 4
# Room for the truncation flag and note themselves.
_NOTE_RESERVE = 400
_MAX_ROUNDS = 200


def json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


def _lists(value: Any, path: str) -> list[tuple[str, list[Any]]]:
    found: list[tuple[str, list[Any]]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_lists(child, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        if value:
            found.append((path, value))
        for i, child in enumerate(value):
            found.extend(_lists(child, f"{path}[{i}]"))
    return found


def _strings(value: Any) -> list[tuple[dict[str, Any] | list[Any], str | int, str]]:
    """(container, key, text) of every string, so the longest can be cut in place."""
    found: list[tuple[dict[str, Any] | list[Any], str | int, str]] = []
    items: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, child in items:
        if isinstance(child, str):
            found.append((value, key, child))
        else:
            found.extend(_strings(child))
    return found


def _cut_largest_list(data: dict[str, Any], excess: int) -> str | None:
    candidates = _lists(data, "")
    if not candidates:
        return None
    path, items = max(candidates, key=lambda c: json_size(c[1]))
    before = len(items)
    removed = 0
    while items and removed < excess:
        removed += json_size(items.pop()) + 1
    return f"{path}: kept {len(items)} of {before}"


def _cut_longest_string(data: dict[str, Any], excess: int) -> str | None:
    candidates = _strings(data)
    if not candidates:
        return None
    container, key, text = max(candidates, key=lambda c: len(c[2]))
    if len(text) < 100:
        return None
    keep = max(0, len(text) - excess - 40)
    marker = f"…[cut {len(text) - keep} chars]"
    if isinstance(container, dict) and isinstance(key, str):
        container[key] = text[:keep] + marker
    elif isinstance(container, list) and isinstance(key, int):
        container[key] = text[:keep] + marker
    return f"a text of {len(text)} chars cut to {keep}"


def fit_to_budget(data: dict[str, Any], max_tokens: int) -> tuple[dict[str, Any], str | None]:
    """`data` (a tool result as JSON) cut to about `max_tokens`; the note says what was cut, None if nothing."""
    limit = max(max_tokens * CHARS_PER_TOKEN - _NOTE_RESERVE, 0)
    if json_size(data) <= limit:
        return data, None
    trimmed = json.loads(json.dumps(data, default=str))
    cuts: list[str] = []
    for _ in range(_MAX_ROUNDS):
        excess = json_size(trimmed) - limit
        if excess <= 0:
            break
        cut = _cut_largest_list(trimmed, excess) or _cut_longest_string(trimmed, excess)
        if cut is None:
            break
        cuts.append(cut)
    note = f"answer cut to fit the {max_tokens}-token budget ({'; '.join(cuts)}); ask a narrower question"
    return trimmed, note
