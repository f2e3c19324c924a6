"""Plain HTTP routes governed like tools (e.g. POST /api/v1/lineage): authenticated, rate limited,
checked against the policy and audited, one entry per request (requests without a valid credential from
an address over its rate excepted: see `refusals`)."""

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import anyio.to_thread
from opentelemetry.trace import Span
from pydantic import JsonValue
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graph_schema.errors import DatagraphError
from server.errors import AuditUnavailableError, DeniedError, RateLimitedError, UnauthenticatedError
from server.governance.audit_models import AuditRecord
from server.governance.principal import ANONYMOUS, Principal
from server.refusals import RefusalThrottle, throttled_refusal
from server.runtime import Runtime
from server.telemetry import call_span, record_call
from server.tools.names import EndpointName

logger = logging.getLogger(__name__)

EndpointHandler = Callable[[Request, Principal], Awaitable[Response]]


@dataclass(frozen=True)
class GovernedEndpoint:
    """A plain HTTP route the policy governs like a tool: authenticated, checked, rate limited, audited."""

    path: str
    permission: EndpointName
    handler: EndpointHandler
    methods: tuple[str, ...] = ("POST",)


def governed_endpoint(
    runtime: Runtime,
    endpoint: GovernedEndpoint,
    resolve_request: Callable[[Request], Principal],
    throttle: RefusalThrottle,
) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        refused = throttled_refusal(throttle, request, resolve_request)
        if refused is not None:
            return refused
        with call_span(runtime.tracer, "endpoint", endpoint.permission.value, "http") as span:
            return await _serve(request, span)

    async def _serve(request: Request, span: Span) -> Response:
        started = time.perf_counter()
        principal = ANONYMOUS
        arguments: dict[str, JsonValue] = {
            "method": request.method,
            "path": request.url.path,
            "content_length": _content_length(request.headers),
        }
        response: Response
        try:
            principal = resolve_request(request)
            runtime.limiter.acquire(principal)
            runtime.policy.check(principal, endpoint.permission).raise_if_denied()
            response = await endpoint.handler(request, principal)
            decision, outcome, error = "allowed", "ok" if response.status_code < 400 else "error", None
        except DeniedError as exc:
            response = JSONResponse({"error": str(exc)}, status_code=_denied_status(exc))
            decision, outcome, error = "denied", "denied", str(exc)
        except DatagraphError as exc:
            response = JSONResponse({"error": str(exc)}, status_code=400)
            decision, outcome, error = "allowed", "error", str(exc)
        except Exception:  # audited like any failure; the details stay in the server log
            logger.exception("endpoint %s crashed", endpoint.path)
            message = f"[internal_error] {endpoint.path} failed unexpectedly"
            response = JSONResponse({"error": message}, status_code=500)
            decision, outcome, error = "allowed", "error", message
        record = AuditRecord(
            principal=principal.name,
            role=principal.role,
            transport="http",
            tool=endpoint.permission.value,
            arguments=arguments,
            decision=decision,
            outcome=outcome,
            error=error,
            result_size=_content_length(response.headers),
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        try:
            await anyio.to_thread.run_sync(runtime.audit.append, record)
        except AuditUnavailableError as exc:
            record_call(span, record, audit_error=str(exc))
            return JSONResponse({"error": str(exc)}, status_code=503)
        record_call(span, record)
        return response

    return serve


def _content_length(headers: Mapping[str, str]) -> int:
    value = headers.get("content-length") or "0"
    return int(value) if value.isdigit() else 0


def _denied_status(exc: DeniedError) -> int:
    if isinstance(exc, UnauthenticatedError):
        return 401
    if isinstance(exc, RateLimitedError):
        return 429
    return 403
