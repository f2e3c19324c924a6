"""Pages of a tool's main list: the wrapper cuts what the handler returns to `limit` items and hands out
an opaque cursor for the rest.

A cursor is bound to the question (tool and arguments other than `limit` and `cursor`) and to the graph
snapshot it was issued on, so it never silently continues a different list.
"""

import base64
import binascii
import hashlib
from typing import Any

from graph_schema.models import canonical_json
from server.errors import InvalidArgumentsError

_PAGE_ARGUMENTS = ("limit", "cursor")


def question_fingerprint(tool: str, arguments: dict[str, Any], snapshot: str | None) -> str:
    """What a cursor is bound to: the tool, its arguments except paging, and the graph snapshot."""
    question = {k: v for k, v in arguments.items() if k not in _PAGE_ARGUMENTS}
    body = canonical_json({"tool": tool, "arguments": question, "snapshot": snapshot})
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def encode_cursor(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}.{fingerprint}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, fingerprint: str) -> int:
    """The offset a cursor points at (0 without one); InvalidArgumentsError when it is not for this question."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset_text, bound_to = text.split(".", 1)
        offset = int(offset_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgumentsError(f"cursor {cursor[:40]!r} is not one this server issued; omit it") from None
    if bound_to != fingerprint or offset < 0:
        raise InvalidArgumentsError(
            "cursor belongs to other arguments or to an older snapshot of the graph; ask again without cursor"
        )
    return offset


def cut_page(data: dict[str, Any], field: str, offset: int, limit: int, fingerprint: str) -> dict[str, Any]:
    """`data` (a result as JSON) with `data[field]` cut to the page at `offset`, and `next_cursor` set."""
    items = data[field]
    page = items[offset : offset + limit]
    more = offset + limit < len(items)
    out = {**data, field: page, "next_cursor": encode_cursor(offset + limit, fingerprint) if more else None}
    if more:
        note = f"{field}: items {offset + 1}-{offset + len(page)} of {len(items)}; pass next_cursor for more"
        earlier = data.get("truncation_note")
        out["truncated"] = True
        out["truncation_note"] = f"{earlier}; {note}" if earlier else note
    return out
