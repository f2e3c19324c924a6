"""Reading an HTTP request body without letting a client make the server hold more than a limit."""

from starlette.requests import Request

from server.errors import InvalidArgumentsError


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to pass `limit` bytes: from its declared length, or while
    a body without one (chunked) streams in, so an oversized body is never held whole."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InvalidArgumentsError(f"the request body of {declared} bytes is over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidArgumentsError(f"the request body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
