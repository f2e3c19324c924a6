"""The governance page's JSON calls, governed like MCP calls and audited with transport `ui`.

A tool the page uses (review_proposal, trace_lineage) runs through the very wrapper an MCP call runs
through, so an approval from the page is checked and audited as the tool call it is. The page's own
reads (the audit log with more filters, the chain check, the proposal queue) need the permission of the
tool they stand beside, are rate limited, and leave one audit entry each under their own `ui_` name.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, JsonValue
from starlette.requests import Request
from starlette.responses import JSONResponse

from server.arguments import parse_arguments
from server.errors import AuditUnavailableError, DeniedError
from server.governance.audit_models import AuditRecord, Decision, Outcome
from server.governance.principal import ANONYMOUS, Principal
from server.governance.redaction import bound_depth
from server.governed import admit, describe_failure, governed, tool_context
from server.refusals import RefusalThrottle, throttled_refusal
from server.runtime import Runtime
from server.telemetry import call_span, error_code, record_call
from server.tools.context import ToolContext
from server.tools.names import ToolName
from server.tools.registry import ToolSpec
from server.tools.schemas.common import ToolInput

UI_TRANSPORT = "ui"

Args = TypeVar("Args", bound=ToolInput)
Work = Callable[[ToolContext, Args], BaseModel]

# HTTP status of a refused or failed call, by the `[code]` its message starts with; anything else is 400.
_STATUS: dict[str, int] = {
    "unauthenticated": 401,
    "permission_denied": 403,
    "limit_exceeded": 403,
    "rate_limited": 429,
    "not_found": 404,
    "audit_unavailable": 503,
    "store_unavailable": 503,
    "proposals_unavailable": 503,
    "not_implemented": 503,
    "internal_error": 500,
}

# Answers carry governance data and sit behind a bearer token: never cached anywhere.
NO_STORE = {"Cache-Control": "no-store"}


def error_response(message: str) -> JSONResponse:
    """`{"error": message}` with the status its `[code]` calls for."""
    status = _STATUS.get(error_code(message) or "", 400)
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def answer_response(answer: BaseModel) -> JSONResponse:
    return JSONResponse(answer.model_dump(mode="json"), headers=NO_STORE)


@dataclass(frozen=True)
class UiGovernance:
    """Everything a page call needs: the runtime, who a request comes from, and the served tools."""

    runtime: Runtime
    resolve: Callable[[Request], Principal]
    specs: Mapping[ToolName, ToolSpec]
    throttle: RefusalThrottle

    async def tool(self, request: Request, name: ToolName, arguments: dict[str, Any]) -> JSONResponse:
        """The tool's answer from its governed MCP wrapper: same checks, same audit entry (transport ui)."""
        refused = throttled_refusal(self.throttle, request, self.resolve)
        if refused is not None:
            return refused
        spec = self.specs.get(name)
        if spec is None:
            return error_response(f"[not_found] this server does not serve the tool '{name}'")
        result = await governed(spec, self.runtime, UI_TRANSPORT, lambda: self.resolve(request))(arguments)
        if isinstance(result, CallToolResult):
            texts = [c.text for c in result.content if isinstance(c, TextContent)]
            return error_response(" ".join(texts) or f"[failed] '{name}' failed")
        return answer_response(result)

    async def read(
        self,
        request: Request,
        name: str,
        permission: ToolName | None,
        model: type[Args],
        work: Work[Args],
    ) -> JSONResponse:
        """`work`'s answer for a caller holding `permission` (None: any authenticated caller), audited as `name`.

        The order is a tool call's: who, rate and permission first, then the arguments (the query string)
        and the policy's limits on them, then the work; one audit entry whatever happened.
        """
        refused = throttled_refusal(self.throttle, request, self.resolve)
        if refused is not None:
            return refused
        runtime = self.runtime
        arguments: dict[str, JsonValue] = bound_depth(dict(request.query_params))
        started = time.perf_counter()
        with call_span(runtime.tracer, "ui", name, UI_TRANSPORT) as span:
            principal = ANONYMOUS
            answer: BaseModel | None = None
            error: str | None = None
            decision: Decision = "allowed"
            outcome: Outcome = "ok"
            try:
                principal = self.resolve(request)
                if permission is None:
                    runtime.limiter.acquire(principal)
                else:
                    admit(runtime, principal, permission)
                args = parse_arguments(model, arguments)
                if permission is not None:
                    runtime.policy.check(principal, permission, args.model_dump()).raise_if_denied()
                context = tool_context(runtime, principal, permission)
                answer = await anyio.to_thread.run_sync(work, context, args)
            except DeniedError as exc:
                decision, outcome, error = "denied", "denied", str(exc)
            except Exception as exc:  # audited and shown as one line, like a failed tool call
                outcome, error = "error", describe_failure(name, exc)
            body = answer_response(answer) if answer is not None else error_response(error or f"[failed] {name}")
            record = AuditRecord(
                principal=principal.name,
                role=principal.role,
                transport=UI_TRANSPORT,
                tool=name,
                arguments=arguments,
                decision=decision,
                outcome=outcome,
                error=error,
                result_size=len(body.body),
                latency_ms=(time.perf_counter() - started) * 1000,
            )
            try:
                await anyio.to_thread.run_sync(runtime.audit.append, record)
            except AuditUnavailableError as exc:
                record_call(span, record, audit_error=str(exc))
                return error_response(str(exc))
            record_call(span, record)
        return body
