"""Resources and prompts governed like tools: the caller needs the capability in its role, is rate
limited, and every read leaves one audit entry and one trace span. Failures reach the client as MCP
protocol errors whose message starts with the same `[code]` as tool errors."""

import time
from collections.abc import Callable
from typing import Literal

import anyio.to_thread
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST
from pydantic import JsonValue

from server.errors import AmbiguousRefError, AuditUnavailableError, DeniedError, InvalidArgumentsError, NotFoundError
from server.governance.audit_models import AuditRecord, Decision, Outcome
from server.governance.principal import ANONYMOUS
from server.governed import PrincipalResolver, admit, describe_failure, tool_context
from server.runtime import Runtime
from server.telemetry import call_span, record_call
from server.tools.context import ToolContext
from server.tools.names import Capability

AccessKind = Literal["resource", "prompt"]

_CALLER_MISTAKES = (NotFoundError.code, AmbiguousRefError.code, InvalidArgumentsError.code)


def protocol_code(message: str) -> int:
    """The JSON-RPC error code for a failed read: the caller's mistake, a refusal, or the server's fault."""
    code = message[1 : message.index("]")] if message.startswith("[") and "]" in message else ""
    if code in _CALLER_MISTAKES:
        return INVALID_PARAMS
    if code in ("permission_denied", "rate_limited", "unauthenticated", "limit_exceeded"):
        return INVALID_REQUEST
    return INTERNAL_ERROR


async def governed_access(
    runtime: Runtime,
    transport: str,
    resolve_principal: PrincipalResolver,
    *,
    kind: AccessKind,
    name: str,
    permission: Capability,
    arguments: dict[str, JsonValue],
    work: Callable[[ToolContext], str],
) -> str:
    """`work`'s text for an allowed caller; MCPError (after auditing) for everyone else. `name` (the
    resource or prompt, never the caller's arguments) names the span; `arguments` go to the audit log."""
    started = time.perf_counter()
    with call_span(runtime.tracer, kind, name, transport) as span:
        principal = ANONYMOUS
        text: str | None = None
        error: str | None = None
        decision: Decision = "allowed"
        outcome: Outcome = "ok"
        try:
            principal = resolve_principal()
            admit(runtime, principal, permission)
            text = await anyio.to_thread.run_sync(work, tool_context(runtime, principal))
        except DeniedError as exc:
            decision, outcome, error = "denied", "denied", str(exc)
        except Exception as exc:  # audited and shown as one line, like a failed tool call
            outcome, error = "error", describe_failure(name, exc)
        record = AuditRecord(
            principal=principal.name,
            role=principal.role,
            transport=transport,
            tool=permission.value,
            arguments=arguments,
            decision=decision,
            outcome=outcome,
            error=error,
            result_size=len(text or ""),
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        try:
            await anyio.to_thread.run_sync(runtime.audit.append, record)
        except AuditUnavailableError as exc:
            record_call(span, record, audit_error=str(exc))
            raise MCPError(INTERNAL_ERROR, str(exc)) from None
        record_call(span, record)
    if text is None:
        message = error or f"[failed] {name} failed"
        raise MCPError(protocol_code(message), message)
    return text
