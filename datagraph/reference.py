"""The tools reference (docs/tools.md), rendered from the pinned public surface.

tests/server/snapshots/tools.json is checked against the live server; this renders that file, and a test
checks docs/tools.md against the rendering, so the reference cannot go stale without a test failing.
Run `python -m datagraph.reference` to rewrite docs/tools.md after accepting a new snapshot.
"""

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO / "tests" / "server" / "snapshots" / "tools.json"
REFERENCE = REPO / "docs" / "tools.md"


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"] if s.get("type") != "null")
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    return str(schema.get("type", "object"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fields(schema: dict[str, Any], with_defaults: bool) -> list[str]:
    required = set(schema.get("required", []))
    head = "| field | type | required | default | meaning |" if with_defaults else "| field | type | meaning |"
    rows = [head, "|---|---|---|---|---|" if with_defaults else "|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        meaning = _cell(prop.get("description", ""))
        if with_defaults:
            default = "" if name in required or "default" not in prop else f"`{json.dumps(prop['default'])}`"
            rows.append(f"| `{name}` | {_type(prop)} | {'yes' if name in required else ''} | {default} | {meaning} |")
        else:
            rows.append(f"| `{name}` | {_type(prop)} | {meaning} |")
    return rows


def render(surface: dict[str, Any]) -> str:
    lines = [
        "# MCP tools reference",
        "",
        "Generated from the server's tool schemas by `python -m datagraph.reference`; do not edit by hand.",
        "Every call is checked against the caller's policy and recorded in the audit log; a refused call is a",
        "tool error such as `[permission_denied] role 'analyst' may not call 'review_proposal'`.",
        "",
    ]
    for tool in surface["tools"]:
        notes = tool.get("annotations", {})
        traits = ["read-only" if notes.get("readOnlyHint") else "writes"]
        if notes.get("destructiveHint"):
            traits.append("destructive")
        lines += [f"## `{tool['name']}` — {tool.get('title', '')}", "", f"*{', '.join(traits)}*", ""]
        lines += [tool["description"], "", "**Arguments**", ""]
        lines += _fields(tool["inputSchema"], with_defaults=True)
        lines += ["", "**Returns**", ""]
        lines += _fields(tool.get("outputSchema", {}), with_defaults=False)
        lines.append("")
    lines += ["## Resources", ""]
    for res in [*surface.get("resources", []), *surface.get("resource_templates", [])]:
        lines.append(f"- `{res.get('uri') or res.get('uriTemplate')}` ({res.get('mimeType', '')}): {res['description']}")
    lines += ["", "## Prompts", ""]
    for prompt in surface.get("prompts", []):
        args = ", ".join(a["name"] for a in prompt.get("arguments", []))
        lines.append(f"- `{prompt['name']}`({args}): {_cell(prompt.get('description', ''))}")
    return "\n".join(lines) + "\n"


def main() -> None:
    REFERENCE.write_text(render(json.loads(SNAPSHOT.read_text(encoding="utf-8"))), encoding="utf-8")
    print(f"wrote {REFERENCE.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
