"""One OpenTelemetry span per governed call (tool, resource, prompt, HTTP endpoint) with who called,
what, and how it ended.

Only the OpenTelemetry API is used here: without a configured SDK the spans cost nothing and go nowhere.
To export them, run the server under an SDK, e.g. `opentelemetry-instrument datagraph serve ...` with the
usual OTEL_* environment variables.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer

from server.governance.audit_models import AuditRecord

TRACER_NAME = "datagraph.server"


def default_tracer() -> Tracer:
    return trace.get_tracer(TRACER_NAME)


def error_code(message: str | None) -> str | None:
    """`permission_denied` from `[permission_denied] role ...`; None when the message has no code."""
    if not message or not message.startswith("[") or "]" not in message:
        return None
    return message[1 : message.index("]")]


@contextmanager
def call_span(tracer: Tracer, kind: str, name: str, transport: str) -> Iterator[Span]:
    """A span around one governed call; `kind` is tool, resource, prompt or endpoint."""
    attributes = {"datagraph.call.kind": kind, "datagraph.tool": name, "datagraph.transport": transport}
    with tracer.start_as_current_span(f"datagraph.{kind} {name}", attributes=attributes) as span:
        yield span


def record_call(span: Span, record: AuditRecord, audit_error: str | None = None) -> None:
    """Put the audited outcome on the span; a call whose audit entry failed is an error whatever it answered."""
    span.set_attributes(
        {
            "datagraph.principal": record.principal,
            "datagraph.role": record.role,
            "datagraph.decision": record.decision,
            "datagraph.outcome": record.outcome if audit_error is None else "error",
            "datagraph.result_size": record.result_size,
        }
    )
    code = error_code(audit_error or record.error)
    if code is not None:
        span.set_attribute("datagraph.error_code", code)
    if record.outcome != "ok" or audit_error is not None:
        span.set_status(Status(StatusCode.ERROR, code or record.outcome))
