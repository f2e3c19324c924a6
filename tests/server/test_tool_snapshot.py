"""The public MCP surface (tools with their descriptions, schemas and annotations; resources; prompts) is
pinned in snapshots/tools.json: any change to it fails here until it is accepted on purpose with
DATAGRAPH_UPDATE_SNAPSHOTS=1, so the contract never drifts by accident."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from server.runtime import Runtime
from server.transport import stdio_server
from tests.support.services import flag_set

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"
UPDATE_FLAG = "DATAGRAPH_UPDATE_SNAPSHOTS"


def public_surface(runtime: Runtime) -> dict[str, Any]:
    mcp = stdio_server(runtime, "snapshot")

    async def read() -> dict[str, Any]:
        def dump(items: list[Any]) -> list[dict[str, Any]]:
            return [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in items]

        return {
            "tools": dump(await mcp.list_tools()),
            "resources": dump(await mcp.list_resources()),
            "resource_templates": dump(await mcp.list_resource_templates()),
            "prompts": dump(await mcp.list_prompts()),
        }

    return anyio.run(read)


def drift(expected: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """`section name: field` for every difference, so the failure says what changed."""
    found: list[str] = []
    for section in sorted(expected.keys() | current.keys()):
        old = {item.get("name") or item.get("uri"): item for item in expected.get(section, [])}
        new = {item.get("name") or item.get("uri"): item for item in current.get(section, [])}
        for name in sorted(old.keys() | new.keys()):
            if name not in new:
                found.append(f"{section} {name}: removed")
            elif name not in old:
                found.append(f"{section} {name}: added")
            else:
                changed = sorted(k for k in old[name].keys() | new[name].keys() if old[name].get(k) != new[name].get(k))
                found += [f"{section} {name}: {key} changed" for key in changed]
    return found


def test_the_public_surface_matches_its_snapshot(make_runtime: Callable[..., Runtime]) -> None:
    current = public_surface(make_runtime())
    if flag_set(UPDATE_FLAG):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert SNAPSHOT.exists(), f"no snapshot yet: run the tests once with {UPDATE_FLAG}=1 and review {SNAPSHOT.name}"
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changes = drift(expected, current)
    assert not changes, (
        f"the public MCP surface differs from {SNAPSHOT.name}: {'; '.join(changes)}. If the change is intended "
        f"(and the contract allows it), rerun with {UPDATE_FLAG}=1 and commit the snapshot."
    )
    assert current == expected  # order of tools, resources and prompts too


def test_the_snapshot_names_every_contract_tool() -> None:
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    names = [tool["name"] for tool in snapshot["tools"]]
    assert names == [
        "search_assets",
        "get_asset",
        "resolve_metric",
        "trace_lineage",
        "impact_analysis",
        "propose_change",
        "review_proposal",
        "recent_changes",
        "audit_log",
        "record_feedback",
    ]
    assert all(tool["inputSchema"] and tool["outputSchema"] and tool["annotations"] for tool in snapshot["tools"])
