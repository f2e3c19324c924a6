"""The governance page's routes: the static shell and its two assets (open to all: they hold no data) and
the governed JSON API under /ui/api/.

The shell is plain HTML, one script and one style sheet shipped in this package; nothing is loaded from
another origin, and the content security policy says so to the browser.
"""

from collections.abc import Callable, Sequence
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.governance.principal import Principal
from server.runtime import Runtime
from server.tools.registry import ToolSpec
from server.ui.api import api_routes
from server.refusals import RefusalThrottle
from server.ui.governed import UiGovernance

UI_PATH = "/ui"
ASSETS: dict[str, tuple[str, str]] = {
    # file in this package -> (route, media type)
    "index.html": (UI_PATH, "text/html; charset=utf-8"),
    "ui.js": (f"{UI_PATH}/ui.js", "text/javascript; charset=utf-8"),
    "ui.css": (f"{UI_PATH}/ui.css", "text/css; charset=utf-8"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidated on every load, so a server upgrade is never served a stale script.
    "Cache-Control": "no-cache",
}


def ui_routes(
    runtime: Runtime, resolve: Callable[[Request], Principal], specs: Sequence[ToolSpec], throttle: RefusalThrottle
) -> list[BaseRoute]:
    """The page, its assets and its API; `resolve` names the caller of a request as the MCP endpoint does."""
    governance = UiGovernance(runtime, resolve, {spec.name: spec for spec in specs}, throttle)
    return [*(_asset_route(name) for name in ASSETS), *api_routes(governance)]


def _asset_route(name: str) -> Route:
    path, media_type = ASSETS[name]
    content = files("server.ui").joinpath(name).read_bytes()

    async def asset(_: Request) -> Response:
        return Response(content, media_type=media_type, headers=SECURITY_HEADERS)

    return Route(path, asset, methods=["GET", "HEAD"])
