"""Every built-in role against every tool and capability, with the real handlers over a real graph: each
call is allowed or refused with `[permission_denied]`, and each leaves exactly one audit entry."""

from collections.abc import Callable
from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from server.governance.principal import Principal
from server.governed_access import governed_access
from server.resources import SCHEMA_URI, describe_schema
from server.runtime import Runtime
from server.tools.names import Capability, Permission, ToolName
from tests.server.calls import call, error_text

ARGUMENTS: dict[ToolName, dict[str, Any]] = {
    ToolName.SEARCH_ASSETS: {"query": "orders"},
    ToolName.GET_ASSET: {"ref": "stg_orders"},
    ToolName.RESOLVE_METRIC: {"question": "revenue by country"},
    ToolName.TRACE_LINEAGE: {"ref": "stg_orders"},
    ToolName.IMPACT_ANALYSIS: {"ref": "stg_orders", "change": {"type": "drop_column", "column": "status"}},
    ToolName.PROPOSE_CHANGE: {"ref": "stg_orders", "new_sql": "select 1 as x", "title": "t", "rationale": "r"},
    ToolName.REVIEW_PROPOSAL: {"proposal_id": "p-1", "decision": "reject", "comment": "c"},
    ToolName.RECENT_CHANGES: {"ref": "stg_orders"},
    ToolName.AUDIT_LOG: {"limit": 5},
    ToolName.RECORD_FEEDBACK: {"kind": "note", "target": "stg_orders", "note": "n"},
}
READ = {
    ToolName.SEARCH_ASSETS,
    ToolName.GET_ASSET,
    ToolName.RESOLVE_METRIC,
    ToolName.TRACE_LINEAGE,
    ToolName.IMPACT_ANALYSIS,
    ToolName.RECENT_CHANGES,
    Capability.READ_RESOURCES,
    Capability.USE_PROMPTS,
}
ALLOWED: dict[str, set[Permission]] = {
    "local": READ | {ToolName.PROPOSE_CHANGE, ToolName.RECORD_FEEDBACK},
    "analyst": READ | {ToolName.RECORD_FEEDBACK},
    "steward": READ | {ToolName.PROPOSE_CHANGE, ToolName.RECORD_FEEDBACK, ToolName.REVIEW_PROPOSAL},
    "governance": READ | {ToolName.RECORD_FEEDBACK, ToolName.REVIEW_PROPOSAL, ToolName.AUDIT_LOG},
    "lineage_producer": set(),
}


def use_capability(runtime: Runtime, principal: Principal, capability: Capability) -> str | None:
    """None when allowed, else the refusal's message."""

    async def run() -> str | None:
        try:
            await governed_access(
                runtime,
                "stdio",
                lambda: principal,
                kind="resource",
                name="schema",
                permission=capability,
                arguments={"uri": SCHEMA_URI},
                work=describe_schema,
            )
        except MCPError as exc:
            return exc.message
        return None

    return anyio.run(run)


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_role_against_every_tool_and_capability(graph_runtime: Callable[..., Runtime], role: str) -> None:
    runtime = graph_runtime()
    principal = Principal(name=f"{role}-user", role=role)
    expected_trail = []
    for tool, arguments in ARGUMENTS.items():
        result = call(runtime, tool, arguments, principal)
        denial = f"[permission_denied] role '{role}' may not call '{tool}'"
        if tool in ALLOWED[role]:
            assert isinstance(result, dict) or error_text(result) != denial
            expected_trail.append((tool.value, "allowed"))
        else:
            assert error_text(result) == denial
            expected_trail.append((tool.value, "denied"))
    for capability in Capability:
        refusal = use_capability(runtime, principal, capability)
        allowed = capability in ALLOWED[role]
        assert refusal == (None if allowed else f"[permission_denied] role '{role}' may not call '{capability}'")
        expected_trail.append((capability.value, "allowed" if allowed else "denied"))
    trail = [(e.tool, e.decision) for e in runtime.audit.entries()]
    assert trail == expected_trail
    assert all(e.principal == principal.name and e.role == role for e in runtime.audit.entries())
    assert runtime.audit.verify().ok
