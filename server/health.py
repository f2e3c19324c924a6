"""GET /healthz for orchestrators (e.g. a compose health check): open to all, and it says only which
backend serves and which snapshot is current."""

from collections.abc import Awaitable, Callable

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from graph_schema.errors import DatagraphError
from server.runtime import Runtime

HEALTH_PATH = "/healthz"


def health_route(runtime: Runtime) -> Route:
    return Route(HEALTH_PATH, endpoint=_health(runtime), methods=["GET"])


def _health(runtime: Runtime) -> Callable[[Request], Awaitable[Response]]:
    async def health(_: Request) -> Response:
        store = runtime.store
        if store is None:
            return JSONResponse({"status": "unavailable", "error": "no graph is open"}, status_code=503)
        try:
            run = await anyio.to_thread.run_sync(store.current_run)
        except DatagraphError as exc:
            return JSONResponse({"status": "unavailable", "backend": store.backend, "error": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "backend": store.backend, "run_id": run.run_id if run else None})

    return health
