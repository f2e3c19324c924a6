"""Read OpenLineage events from a file: one JSON event, a JSON list of events, or NDJSON (one per line).

Every event comes with its place in the file (`line N`), so that a fault is reported where it is.
"""

import json
from pathlib import Path
from typing import Any

from ingestors.openlineage.errors import OpenLineageInputError

Placed = tuple[int, Any]  # (line, decoded event)


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _json_fault(path: Path, exc: json.JSONDecodeError, line_offset: int = 0) -> OpenLineageInputError:
    return OpenLineageInputError(f"{path}:{exc.lineno + line_offset}: not valid JSON: {exc.msg} (column {exc.colno})")


def _array_items(path: Path, text: str, start: int) -> list[Placed]:
    """The items of a JSON array starting at `start`, each with the line it begins on."""
    decoder = json.JSONDecoder()
    items: list[Placed] = []
    pos = start + 1
    size = len(text)

    def skip(at: int) -> int:
        while at < size and text[at] in " \t\r\n":
            at += 1
        return at

    pos = skip(pos)
    if pos < size and text[pos] == "]":
        return items
    while True:
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _json_fault(path, exc) from None
        items.append((_line_of(text, pos), value))
        pos = skip(end)
        if pos < size and text[pos] == ",":
            pos = skip(pos + 1)
            continue
        if pos < size and text[pos] == "]":
            if skip(pos + 1) != size:
                raise OpenLineageInputError(f"{path}:{_line_of(text, pos + 1)}: text after the end of the JSON list")
            return items
        raise OpenLineageInputError(f"{path}:{_line_of(text, pos)}: expected ',' or ']' in the JSON list")


def read_events_file(path: Path) -> list[Placed]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OpenLineageInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise OpenLineageInputError(f"{path}: is a folder, not an events file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OpenLineageInputError(f"{path}: cannot read: {exc}") from None
    stripped = text.lstrip()
    if not stripped:
        raise OpenLineageInputError(f"{path}: is empty")
    first = len(text) - len(stripped)
    if stripped[0] == "[":
        return _array_items(path, text, first)
    lines = text.splitlines()
    first_line = next(line for line in lines if line.strip())
    try:
        json.loads(first_line)
    except json.JSONDecodeError:
        # not one event per line: one event, pretty-printed over several lines
        try:
            return [(_line_of(text, first), json.loads(text))]
        except json.JSONDecodeError as exc:
            raise _json_fault(path, exc) from None
    events: list[Placed] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise _json_fault(path, exc, number - 1) from None
    return events
