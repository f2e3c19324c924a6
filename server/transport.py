"""Serving the MCP app: stdio for one local user, streamable HTTP for many authenticated ones.

HTTP refuses to start without a policy that can authenticate callers, unless `no_auth` is asked for on
a loopback host. The Starlette app serves the governance page at /ui and can carry extra governed endpoints
(e.g. POST /api/v1/lineage).
"""

import ipaddress
from collections.abc import Sequence

import uvicorn
from mcp.server import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute

from server.app import build_mcp_server
from server.endpoints import GovernedEndpoint, governed_endpoint
from server.errors import ServeRefusedError
from server.governance.auth import Authenticator
from server.governance.principal import Principal, local_principal_name
from server.governance.ratelimit import RateLimiter
from server.heap import settle_heap
from server.http_auth import PolicyTokenVerifier, auth_settings, current_http_principal, request_principal
from server.refusals import RefusalThrottle
from server.runtime import Runtime
from server.tools.registry import TOOL_SPECS, ToolSpec
from server.ui.routes import ui_routes

MCP_PATH = "/mcp"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_http_allowed(runtime: Runtime, host: str, no_auth: bool) -> None:
    if no_auth:
        if not is_loopback(host):
            raise ServeRefusedError(f"--no-auth is only allowed on a loopback host, not {host!r}")
        return
    if runtime.policy.is_builtin:
        raise ServeRefusedError(
            "HTTP needs a policy file with principals or oauth (set DATAGRAPH_POLICY), "
            "or --no-auth on 127.0.0.1 for local use"
        )
    if not runtime.policy.can_authenticate:
        raise ServeRefusedError(f"{runtime.policy.source}: no principals and no oauth, so nobody could call the server")


def stdio_server(
    runtime: Runtime, principal_name: str | None = None, specs: Sequence[ToolSpec] = TOOL_SPECS
) -> MCPServer:
    principal = runtime.policy.local_principal(local_principal_name(principal_name))
    return build_mcp_server(runtime, transport="stdio", resolve_principal=lambda: principal, specs=specs)


async def run_stdio(runtime: Runtime, principal_name: str | None = None) -> None:
    server = stdio_server(runtime, principal_name)
    settle_heap()
    await server.run_stdio_async()


def build_http_app(
    runtime: Runtime,
    *,
    host: str = "127.0.0.1",
    no_auth: bool = False,
    endpoints: Sequence[GovernedEndpoint] = (),
    routes: Sequence[BaseRoute] = (),
    principal_name: str | None = None,
    specs: Sequence[ToolSpec] = TOOL_SPECS,
) -> Starlette:
    """The streamable-HTTP MCP app at /mcp, the governance page at /ui (its API authenticated and governed
    like the tools), plus `endpoints` (governed) and `routes` (as given)."""
    check_http_allowed(runtime, host, no_auth)
    if no_auth:
        local = runtime.policy.local_principal(local_principal_name(principal_name))
        mcp = build_mcp_server(runtime, transport="http", resolve_principal=lambda: local, specs=specs)

        def resolve_request(_: Request) -> Principal:
            return local
    else:
        verifier = PolicyTokenVerifier(Authenticator(runtime.policy))
        mcp = build_mcp_server(
            runtime,
            transport="http",
            resolve_principal=current_http_principal,
            specs=specs,
            token_verifier=verifier,
            auth=auth_settings(runtime.policy),
        )
        resolve_request = request_principal
    throttle = RefusalThrottle(RateLimiter(runtime.policy))
    for endpoint in endpoints:
        mcp.custom_route(endpoint.path, methods=list(endpoint.methods))(
            governed_endpoint(runtime, endpoint, resolve_request, throttle)
        )
    app = mcp.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    app.router.routes.extend(ui_routes(runtime, resolve_request, specs, throttle))
    app.router.routes.extend(routes)
    return app


def serve_http(
    runtime: Runtime,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    no_auth: bool = False,
    endpoints: Sequence[GovernedEndpoint] = (),
    routes: Sequence[BaseRoute] = (),
    principal_name: str | None = None,
) -> None:
    app = build_http_app(
        runtime, host=host, no_auth=no_auth, endpoints=endpoints, routes=routes, principal_name=principal_name
    )
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    settle_heap()
    server.run()
