"""Ids of what BI tools and schedulers hold: `<kind>:<tool>/<instance>/<object>...`, parts escaped.

A tool object's id is stable as long as the tool's own key for it is (a Superset uuid, a Metabase id, a
LookML name), so re-ingesting an export updates the same nodes instead of making new ones. Parts keep
dots (instances are often host names); a `/` inside a part is escaped, so parts never run together.
"""

from urllib.parse import quote

from graph_schema.ids import make_id
from graph_schema.kinds import NodeKind

# printable ASCII except what the id grammar or the part separator would misread
_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in "#%/")


def escape(part: str | int) -> str:
    return quote(str(part), safe=_SAFE)


def tool_id(kind: NodeKind, tool: str, *parts: str | int) -> str:
    """`tool_id(CHART, "superset", "prod", uuid)` -> `chart:superset/prod/<uuid>`."""
    return make_id(kind.value, "/".join([tool, *(escape(p) for p in parts)]))
