"""The governance wrapper around every tool call.

One call = resolve the principal, rate limit, policy check, validate, run, page, fit the token budget,
then exactly one audit entry (allowed, denied or failed) and one trace span. If that entry cannot be
written the caller gets an error instead of the answer: nothing is served unaudited.
"""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel

from graph_schema.errors import DatagraphError, InvalidIdError, StoreUnavailableError
from server.arguments import parse_arguments
from server.budget import fit_to_budget, json_size
from server.errors import AuditUnavailableError, DeniedError, ToolCallError
from server.governance.audit_models import AuditRecord, Decision, Outcome
from server.governance.policy_models import ToolLimits
from server.governance.redaction import bound_depth
from server.governance.principal import ANONYMOUS, Principal
from server.paging import cut_page, decode_cursor, question_fingerprint
from server.runtime import Runtime
from server.telemetry import call_span, record_call
from server.tools.context import ToolContext
from server.tools.names import Permission, ToolName
from server.tools.registry import ToolSpec
from server.tools.schemas.common import PagedInput, ToolInput

logger = logging.getLogger(__name__)

PrincipalResolver = Callable[[], Principal]
"""Who is calling; raises UnauthenticatedError when nobody can be named."""

ToolCall = Callable[[dict[str, Any]], Awaitable[BaseModel | CallToolResult]]


@dataclass(frozen=True)
class _Result:
    principal: Principal
    decision: Decision
    outcome: Outcome
    answer: BaseModel | None = None
    error: str | None = None
    size: int = 0


def error_result(message: str) -> CallToolResult:
    """A tool error the model reads (is_error=True), with exactly `message` as its text."""
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def governed(spec: ToolSpec, runtime: Runtime, transport: str, resolve_principal: PrincipalResolver) -> ToolCall:
    """`spec.handler` wrapped in governance; the returned coroutine takes the call's raw arguments."""

    async def call(arguments: dict[str, Any]) -> BaseModel | CallToolResult:
        started = time.perf_counter()
        with call_span(runtime.tracer, "tool", spec.name.value, transport) as span:
            result = await _run(spec, runtime, resolve_principal, arguments)
            record = AuditRecord(
                principal=result.principal.name,
                role=result.principal.role,
                transport=transport,
                tool=spec.name.value,
                arguments=bound_depth(arguments),
                decision=result.decision,
                outcome=result.outcome,
                error=result.error,
                result_size=result.size,
                latency_ms=(time.perf_counter() - started) * 1000,
            )
            try:
                await anyio.to_thread.run_sync(runtime.audit.append, record)
            except AuditUnavailableError as exc:
                logger.error("audit write failed, call to %s refused: %s", spec.name, exc)
                record_call(span, record, audit_error=str(exc))
                return error_result(str(exc))
            record_call(span, record)
        if result.answer is None:
            return error_result(result.error or f"[failed] '{spec.name}' failed")
        return result.answer

    return call


def admit(runtime: Runtime, principal: Principal, permission: Permission) -> None:
    """DeniedError unless `principal` is within its rate and allowed `permission`."""
    runtime.limiter.acquire(principal)
    runtime.policy.check(principal, permission).raise_if_denied()


def tool_context(runtime: Runtime, principal: Principal, tool: ToolName | None = None) -> ToolContext:
    return ToolContext(
        principal=principal,
        settings=runtime.settings,
        policy=runtime.policy,
        limits=runtime.policy.limits(tool) if tool is not None else ToolLimits(),
        audit=runtime.audit,
        store=runtime.store,
        asset_indexes=runtime.asset_indexes,
        search=runtime.search,
    )


async def _run(
    spec: ToolSpec, runtime: Runtime, resolve_principal: PrincipalResolver, arguments: dict[str, Any]
) -> _Result:
    principal = ANONYMOUS
    try:
        principal = resolve_principal()
        admit(runtime, principal, spec.name)
        args = parse_arguments(spec.input_model, arguments)
        runtime.policy.check(principal, spec.name, args.model_dump()).raise_if_denied()
        context = tool_context(runtime, principal, spec.name)
        data = await anyio.to_thread.run_sync(_answer, spec, runtime, context, args)
        answer, size = _fit(spec, data, runtime.settings.token_budget)
    except DeniedError as exc:
        return _Result(principal, "denied", "denied", error=str(exc))
    except Exception as exc:  # every failure becomes one audited, readable error; nothing escapes unaudited
        return _Result(principal, "allowed", "error", error=describe_failure(spec.name.value, exc))
    return _Result(principal, "allowed", "ok", answer=answer, size=size)


def _answer(spec: ToolSpec, runtime: Runtime, context: ToolContext, args: ToolInput) -> dict[str, Any]:
    """The handler's answer as JSON, cut to the requested page for a paged tool."""
    if spec.paged is None or not isinstance(args, PagedInput):
        return spec.handler(context, args).model_dump(mode="json")
    run = runtime.store.current_run() if runtime.store is not None else None
    fingerprint = question_fingerprint(spec.name.value, args.model_dump(mode="json"), run.run_id if run else None)
    offset = decode_cursor(args.cursor, fingerprint)
    data = spec.handler(context, args).model_dump(mode="json")
    return cut_page(data, spec.paged, offset, args.limit, fingerprint)


def _fit(spec: ToolSpec, data: dict[str, Any], token_budget: int) -> tuple[BaseModel, int]:
    fitted, note = fit_to_budget(data, token_budget)
    if note is not None:
        earlier = fitted.get("truncation_note")
        fitted["truncated"] = True
        fitted["truncation_note"] = f"{earlier}; {note}" if earlier else note
    return spec.output_model.model_validate(fitted), json_size(fitted)


_READABLE_FAILURES: tuple[tuple[type[DatagraphError], str], ...] = (
    (InvalidIdError, "invalid_arguments"),
    (StoreUnavailableError, "store_unavailable"),
)


def describe_failure(name: str, exc: Exception) -> str:
    """The one-line error a caller reads for a failed call; unexpected crashes are logged, not shown."""
    if isinstance(exc, ToolCallError):
        return str(exc)
    # A store's message may quote a driver's, which can run over several lines (Neo4j's connection errors do).
    message = " ".join(str(exc).split())
    for kind, code in _READABLE_FAILURES:
        if isinstance(exc, kind):
            return f"[{code}] {message}"
    if isinstance(exc, DatagraphError):
        return f"[failed] {message}"
    logger.exception("%s crashed", name)
    return f"[internal_error] '{name}' failed unexpectedly; the server log has the details"
