"""One OpenTelemetry span per governed call, carrying principal, tool and outcome."""

from collections.abc import Callable, Iterator

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from server.governance.principal import Principal
from server.resources import SCHEMA_URI
from server.runtime import Runtime
from server.tools.names import ToolName
from server.transport import stdio_server
from tests.server.calls import call


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


@pytest.fixture
def runtime(graph_runtime: Callable[..., Runtime], exporter: InMemorySpanExporter) -> Runtime:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return graph_runtime(tracer=provider.get_tracer("test"))


def attributes(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


def test_a_span_per_tool_call(runtime: Runtime, exporter: InMemorySpanExporter) -> None:
    ann = Principal(name="ann", role="analyst")
    call(runtime, ToolName.SEARCH_ASSETS, {"query": "orders"}, ann)
    call(runtime, ToolName.REVIEW_PROPOSAL, {"proposal_id": "p", "decision": "approve", "comment": "c"}, ann)
    call(runtime, ToolName.GET_ASSET, {"ref": "nothing_like_it"}, ann)

    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == [
        "datagraph.tool search_assets",
        "datagraph.tool review_proposal",
        "datagraph.tool get_asset",
    ]
    ok, denied, failed = (attributes(s) for s in spans)
    assert ok["datagraph.principal"] == "ann" and ok["datagraph.role"] == "analyst"
    assert (ok["datagraph.tool"], ok["datagraph.transport"]) == ("search_assets", "stdio")
    assert (ok["datagraph.decision"], ok["datagraph.outcome"]) == ("allowed", "ok")
    assert "datagraph.error_code" not in ok and spans[0].status.status_code is StatusCode.UNSET
    assert (denied["datagraph.decision"], denied["datagraph.outcome"]) == ("denied", "denied")
    assert denied["datagraph.error_code"] == "permission_denied"
    assert (failed["datagraph.outcome"], failed["datagraph.error_code"]) == ("error", "not_found")
    assert spans[2].status.status_code is StatusCode.ERROR
    # Arguments stay in the audit log; spans carry no caller data beyond who and what.
    assert not any("orders" in str(v) for s in spans for v in attributes(s).values())


def test_resource_reads_have_spans_too(runtime: Runtime, exporter: InMemorySpanExporter) -> None:
    async def work() -> None:
        async with Client(stdio_server(runtime, "lu")) as client:
            await client.read_resource(SCHEMA_URI)
            try:
                await client.read_resource("datagraph://asset/nothing_like_it")
            except MCPError:
                pass

    anyio.run(work)
    ours = [s for s in exporter.get_finished_spans() if s.name.startswith("datagraph.")]
    assert [(s.name, attributes(s)["datagraph.outcome"]) for s in ours] == [
        ("datagraph.resource schema", "ok"),
        ("datagraph.resource asset", "error"),
    ]
    assert attributes(ours[1])["datagraph.error_code"] == "not_found"
