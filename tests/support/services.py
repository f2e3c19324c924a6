"""What the Neo4j and PostgreSQL helpers share: the error, skip-or-fail, free ports and child processes."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

from graph_schema.errors import DatagraphError


class ServiceUnavailableError(DatagraphError):
    """No way to get the service worked; the message names every way tried and why it failed."""


def flag_set(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(error: ServiceUnavailableError, *, required: bool) -> NoReturn:
    """Skip the tests that need the service, unless the run demands it: then every such test errors loudly."""
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    # `from None`: the reason is the whole story; the caught error's traceback would only bury it.
    raise outcome(str(error), pytrace=False) from None


def free_loopback_port() -> int:
    # Another process may take the port before it is used; callers that can bind port 0 themselves should.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], *, grace_s: float = 30.0) -> None:
    """Wait for a process asked to stop; kill it if it overstays, so no server outlives the session."""
    try:
        process.wait(timeout=grace_s)
        return
    except subprocess.TimeoutExpired:
        process.terminate()
    try:
        process.wait(timeout=10.0)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10.0)


def log_tail(path: Path, *, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    tail = [line for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(tail) if tail else "(empty log)"
