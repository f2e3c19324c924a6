"""`datagraph serve`: the MCP server over stdio (one local user) or streamable HTTP (many, authenticated).

The HTTP server also takes OpenLineage run events at POST /api/v1/lineage (role permission
`ingest_lineage`), serves the governance page at /ui (docs/ui.md) and answers GET /healthz for health checks.
"""

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import anyio.to_thread
import typer
from rich.console import Console
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from datagraph.options import HomeOption, settings_for
from graph_schema.config import Settings
from server.errors import InvalidArgumentsError
from server.http_body import read_body
from server.governance.principal import Principal
from server.tools.names import EndpointName

if TYPE_CHECKING:
    from server.endpoints import GovernedEndpoint

LINEAGE_PATH = "/api/v1/lineage"
MAX_LINEAGE_BYTES = 10 * 1024 * 1024
MAX_FAILURES_SHOWN = 20


class Transport(StrEnum):
    STDIO = "stdio"
    HTTP = "http"


def serve(
    transport: Annotated[Transport, typer.Option("--transport", help="stdio for one local client, http for many.")] = (
        Transport.STDIO
    ),
    host: Annotated[str, typer.Option("--host", help="Address to listen on (http).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (http).", min=0, max=65535)] = 8765,
    principal: Annotated[
        str | None,
        typer.Option("--principal", help="Who a credential-less caller is (stdio, or http with --no-auth)."),
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="HTTP without bearer tokens: loopback hosts only, as --principal.")
    ] = False,
    home: HomeOption = None,
) -> None:
    """Serve the governed MCP tools, resources and prompts over the graph."""
    # The server stack loads only when serving, so that every other command starts fast.
    from graph_schema.store import open_store
    from server.health import health_route
    from server.runtime import build_runtime
    from server.transport import check_http_allowed, run_stdio, serve_http

    settings = settings_for(home)
    err = Console(stderr=True)
    # Read-only: an ingest in another process writes a new snapshot and this server follows it.
    with open_store(settings, read_only=True) as store:
        runtime = build_runtime(settings, store=store)
        try:
            if transport is Transport.STDIO:
                anyio.run(run_stdio, runtime, principal)
                return
            check_http_allowed(runtime, host, no_auth)
            err.print(
                f"datagraph MCP server on http://{host}:{port}/mcp, governance page on http://{host}:{port}/ui "
                f"(graph: {store.backend}, audit: {runtime.audit.location}, "
                f"policy: {runtime.policy.source or 'built-in'})",
                highlight=False,
            )
            serve_http(
                runtime,
                host=host,
                port=port,
                no_auth=no_auth,
                endpoints=[lineage_endpoint(settings)],
                routes=[health_route(runtime)],
                principal_name=principal,
            )
        finally:
            runtime.close()


def lineage_endpoint(settings: Settings) -> "GovernedEndpoint":
    """POST /api/v1/lineage: OpenLineage run events into the graph through the OpenLineage ingestor."""
    from graph_schema.store import open_store
    from ingestors.openlineage.ingest import ingest_events
    from server.endpoints import GovernedEndpoint

    async def ingest(request: Request, principal: Principal) -> Response:
        events = parse_events(await read_body(request, MAX_LINEAGE_BYTES))

        def write() -> dict[str, Any]:
            with open_store(settings) as store:
                result = ingest_events(store, events, settings.home, origin="event")
            report = result.report
            return {
                "received": len(events),
                "accepted": len(events) - report.failure_count,
                "committed": result.committed,
                "summary": result.summary.model_dump(mode="json"),
                "failures": [f.model_dump(mode="json") for f in report.failures[:MAX_FAILURES_SHOWN]],
            }

        answer = await anyio.to_thread.run_sync(write)
        # Like Marquez: 201 when something was taken in, 400 when every event was rejected.
        return JSONResponse(answer, status_code=201 if answer["accepted"] else 400)

    return GovernedEndpoint(LINEAGE_PATH, EndpointName.INGEST_LINEAGE, ingest)


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """One event (a JSON object), a JSON array of events, or NDJSON (one event per line)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgumentsError("the request body is not UTF-8 text") from None
    try:
        parsed: Any = json.loads(text)
        items = parsed if isinstance(parsed, list) else [parsed]
    except json.JSONDecodeError:
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidArgumentsError(f"line {number} is not JSON: {exc.msg}") from None
    if not items or not all(isinstance(item, dict) for item in items):
        raise InvalidArgumentsError("expected OpenLineage run events: a JSON object, an array of objects, or NDJSON")
    return items
