"""How a tool handler reaches the search service, and the keys its per-caller caches use."""

from collections.abc import Iterator
from contextlib import contextmanager

from server.search.service import SearchService
from server.tools.context import ToolContext


@contextmanager
def search_service(ctx: ToolContext) -> Iterator[SearchService]:
    """The server's long-lived service; a context without one (a one-off call) gets a service for this call."""
    if ctx.search is not None:
        yield ctx.search
        return
    service = SearchService(ctx.settings)
    try:
        yield service
    finally:
        service.close()


def scope_key(ctx: ToolContext) -> str:
    """What the caller may see depends on their role alone, so visibility is cached per role."""
    return f"role:{ctx.principal.role}"
